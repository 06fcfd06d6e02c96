import { listTicketsOfAsset } from '../../domain/ticket-list';
import type { CommandDefinition } from '../types';
import { ticketListToWire } from '../wire/ticket-list';

export default {
  name: 'GetTicketListOfAsset',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { AssetId: string }, { db }) {
    return { Tickets: ticketListToWire(await listTicketsOfAsset(db, input.AssetId)) };
  },
} satisfies CommandDefinition;
