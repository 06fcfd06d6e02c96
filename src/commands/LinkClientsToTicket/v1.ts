import type { CommandDefinition } from '../types';
import { linkClients } from '../../domain/links';

export default {
  name: 'LinkClientsToTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; ClientIds: string[] }, { db }) {
    await linkClients(db, input.TicketId, input.ClientIds);
    return {};
  },
} satisfies CommandDefinition;
