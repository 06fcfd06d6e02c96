import {
  listTickets,
  MAX_LIST_SIZE,
  NEWEST_FIRST,
  requireListSize,
} from '../../domain/ticket-list';
import type { CommandDefinition } from '../types';
import { ticketListToWire } from '../wire/ticket-list';

export default {
  name: 'GetTicketList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { MaxCount?: number }, { db, caller }) {
    // MaxCount outside 1..1000 is refused (35), not clamped: a client asking for 5000 should
    // learn that it gets at most 1000 instead of silently missing tickets. TotalCount tells
    // how many exist in all.
    const limit = input.MaxCount ?? MAX_LIST_SIZE;
    requireListSize(limit, 'MaxCount');
    const { tickets, totalCount } = await listTickets(db, {}, { ...NEWEST_FIRST, limit }, caller);
    return { Tickets: ticketListToWire(tickets), TotalCount: totalCount };
  },
} satisfies CommandDefinition;
