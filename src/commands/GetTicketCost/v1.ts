import { getCost } from '../../domain/costs';
import type { CommandDefinition } from '../types';
import { costToWire } from '../wire/cost';

export default {
  name: 'GetTicketCost',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { CostId: string }, { db }) {
    return { Cost: costToWire(await getCost(db, input.CostId)) };
  },
} satisfies CommandDefinition;
