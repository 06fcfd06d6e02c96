import { linkClients } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'LinkClientsToTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; ClientIds: string[] }, { db }) {
    await linkClients(db, input.TicketId, input.ClientIds);
    return {};
  },
} satisfies CommandDefinition;
