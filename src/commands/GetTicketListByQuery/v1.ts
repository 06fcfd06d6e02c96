import { listTickets, MAX_LIST_SIZE, NEWEST_FIRST } from '../../domain/ticket-list';
import type { CommandDefinition } from '../types';
import { ticketListToWire } from '../wire/ticket-list';

// The newest 1000 tickets of a built-in query (src/domain/ticket-queries.ts); TotalCount counts all.
export default {
  name: 'GetTicketListByQuery',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { QueryId: string }, { db, caller }) {
    const { tickets, totalCount } = await listTickets(
      db,
      { queryId: input.QueryId },
      { ...NEWEST_FIRST, limit: MAX_LIST_SIZE },
      caller,
    );
    return { Tickets: ticketListToWire(tickets), TotalCount: totalCount };
  },
} satisfies CommandDefinition;
