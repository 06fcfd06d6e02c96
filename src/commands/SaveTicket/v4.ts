import { saveTicket } from '../../domain/tickets';
import type { CommandDefinition } from '../types';
import { ticketInput, type WireTicket } from '../wire/ticket';
import { createOrUpdate } from './permission';

export default {
  name: 'SaveTicket',
  version: 4,
  permission: createOrUpdate,
  async handle(input: { Ticket: WireTicket }, { db, caller }) {
    const { id, number } = await saveTicket(db, ticketInput(input.Ticket), caller);
    return { TicketId: id, TicketNumber: number };
  },
} satisfies CommandDefinition;
