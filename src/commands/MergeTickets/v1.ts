import { mergeTickets } from '../../domain/merge';
import type { CommandDefinition } from '../types';

// TicketId survives; the tickets of TicketIds are merged into it.
export default {
  name: 'MergeTickets',
  version: 1,
  permission: 'SET_STATUS',
  async handle(input: { TicketId: string; TicketIds: string[] }, { db }) {
    await mergeTickets(db, input.TicketId, input.TicketIds);
    return {};
  },
} satisfies CommandDefinition;
