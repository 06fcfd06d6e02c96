import { setTickets } from '../../domain/bulk-tickets';
import type { CommandDefinition } from '../types';

// FirstErrorMsg is only rendered on failure: the domain's error carries it (process-command).
export default {
  name: 'SetTicketPriorities',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketIds: string[]; Priority: number }, { db }) {
    await setTickets(db, input.TicketIds, { priority: input.Priority });
    return {};
  },
} satisfies CommandDefinition;
