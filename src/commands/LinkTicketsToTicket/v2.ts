import { type LinkType, linkTicketsTyped } from '../../domain/links';
import type { CommandDefinition } from '../types';

export default {
  name: 'LinkTicketsToTicket',
  version: 2,
  permission: 'TICKET_UPDATE',
  async handle(
    input: { TicketId: string; Links: { TicketId: string; LinkType: LinkType }[] },
    { db },
  ) {
    await linkTicketsTyped(
      db,
      input.TicketId,
      input.Links.map((l) => ({ ticketId: l.TicketId, linkType: l.LinkType })),
    );
    return {};
  },
} satisfies CommandDefinition;
