import type { CommandDefinition } from '../types';
import { deleteTickets } from '../../domain/delete-tickets';

export default {
  name: 'DeleteTickets',
  version: 1,
  permission: 'TICKET_DELETE',
  async handle(input: { TicketIds: string[] }, { db }) {
    await deleteTickets(db, input.TicketIds);
    return {};
  },
} satisfies CommandDefinition;
