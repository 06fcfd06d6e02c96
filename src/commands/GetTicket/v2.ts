import { getTicket } from '../../domain/tickets';
import type { CommandDefinition } from '../types';
import { ticketToWire } from '../wire/ticket';

// Renders the fields of TTicket_V2 only: the response schema decides.
export default {
  name: 'GetTicket',
  version: 2,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Ticket: ticketToWire(await getTicket(db, input.TicketId)) };
  },
} satisfies CommandDefinition;
