import { unlinkClients } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'UnlinkClientsFromTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; ClientIds: string[] }, { db }) {
    await unlinkClients(db, input.TicketId, input.ClientIds);
    return {};
  },
} satisfies CommandDefinition;
