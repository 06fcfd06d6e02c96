import { listLinkedTickets } from '../../domain/ticket-list';
import type { CommandDefinition } from '../types';
import { ticketListToWire } from '../wire/ticket-list';

export default {
  name: 'GetLinkedTicketsOfTicket',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Tickets: ticketListToWire(await listLinkedTickets(db, input.TicketId)) };
  },
} satisfies CommandDefinition;
