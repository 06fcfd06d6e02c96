import { linkAssets } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'LinkAssetsToTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; AssetIds: string[] }, { db }) {
    await linkAssets(db, input.TicketId, input.AssetIds);
    return {};
  },
} satisfies CommandDefinition;
