import { deleteCosts } from '../../domain/costs';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteTicketCosts',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { CostIds: string[] }, { db }) {
    await deleteCosts(db, input.CostIds);
    return {};
  },
} satisfies CommandDefinition;
