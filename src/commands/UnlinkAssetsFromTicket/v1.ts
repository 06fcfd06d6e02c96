import { unlinkAssets } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'UnlinkAssetsFromTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; AssetIds: string[] }, { db }) {
    await unlinkAssets(db, input.TicketId, input.AssetIds);
    return {};
  },
} satisfies CommandDefinition;
