import { linkTickets } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'LinkTicketsToTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; TicketIds: string[] }, { db }) {
    await linkTickets(db, input.TicketId, input.TicketIds);
    return {};
  },
} satisfies CommandDefinition;
