import type { CommandDefinition } from '../types';
import { saveTicket } from '../../domain/tickets';
import { ticketInput, WireTicket } from '../wire/ticket';

export default {
  name: 'SaveTicket',
  version: 4,
  async handle(input: { Ticket: WireTicket }, { db }) {
    const { id, number } = await saveTicket(db, ticketInput(input.Ticket));
    return { TicketId: id, TicketNumber: number };
  },
} satisfies CommandDefinition;
