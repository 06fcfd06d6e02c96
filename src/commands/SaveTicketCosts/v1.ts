import { saveCosts } from '../../domain/costs';
import type { CommandDefinition } from '../types';
import { costSave, type WireCost } from '../wire/cost';

// FirstErrorMsg is only rendered on failure: the domain's error carries it (process-command).
export default {
  name: 'SaveTicketCosts',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { Costs: WireCost[] }, { db, caller }) {
    await saveCosts(db, input.Costs.map(costSave), caller);
    return {};
  },
} satisfies CommandDefinition;
