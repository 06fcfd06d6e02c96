import { deleteTickets } from '../../domain/delete-tickets';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteTickets',
  version: 1,
  permission: 'TICKET_DELETE',
  async handle(input: { TicketIds: string[] }, { db }) {
    await deleteTickets(db, input.TicketIds);
    return {};
  },
} satisfies CommandDefinition;
