import { setTickets } from '../../domain/bulk-tickets';
import type { TicketState } from '../../domain/tickets';
import type { CommandDefinition } from '../types';

// FirstErrorMsg is only rendered on failure: the domain's error carries it (process-command).
export default {
  name: 'SetTicketStates',
  version: 1,
  permission: 'SET_STATUS',
  async handle(input: { TicketIds: string[]; State: TicketState }, { db }) {
    await setTickets(db, input.TicketIds, { state: input.State });
    return {};
  },
} satisfies CommandDefinition;
