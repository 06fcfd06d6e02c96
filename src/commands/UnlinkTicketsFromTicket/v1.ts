import { unlinkTickets } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'UnlinkTicketsFromTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; TicketIds: string[] }, { db }) {
    await unlinkTickets(db, input.TicketId, input.TicketIds);
    return {};
  },
} satisfies CommandDefinition;
