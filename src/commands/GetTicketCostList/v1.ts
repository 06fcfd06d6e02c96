import { listCosts } from '../../domain/costs';
import type { CommandDefinition } from '../types';
import { costToWire } from '../wire/cost';

export default {
  name: 'GetTicketCostList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Costs: (await listCosts(db, input.TicketId)).map(costToWire) };
  },
} satisfies CommandDefinition;
