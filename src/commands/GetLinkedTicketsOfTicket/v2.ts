import { listLinkedTickets } from '../../domain/ticket-list';
import type { CommandDefinition } from '../types';
import { ticketListItemToWire } from '../wire/ticket-list';

export default {
  name: 'GetLinkedTicketsOfTicket',
  version: 2,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    const links = await listLinkedTickets(db, input.TicketId);
    return { Links: links.map((t) => ({ ...ticketListItemToWire(t), LinkType: t.linkType })) };
  },
} satisfies CommandDefinition;
