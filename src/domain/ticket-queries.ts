// The built-in ticket queries of GetTicketListByQuery_V1/_V2 (docs/protocol.md §7). Their GUIDs are fixed
// forever: clients store them. The README lists TICKET_QUERY_TABLE.
import type { Knex } from 'knex';
import { NotFound } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';

export interface TicketQueryContext {
  /** The calling user (ctx.caller); only read by queries with `needsCaller`. */
  callerId?: string;
}

export interface TicketQuery {
  /** Wire form: upper case in braces. */
  id: string;
  name: string;
  description: string;
  needsCaller?: boolean;
  /**
   * The condition reads only state, assignee_id and category_id, so ticket_counts (migration 015)
   * has its TotalCount; a query on anything else (a date, now()) is counted in tickets.
   */
  counted: boolean;
  /** The condition rules out closed tickets: a text search may use the indexes over open tickets (migration 015). */
  onlyOpen?: boolean;
  /** Adds the query's condition on the tickets table aliased `t`. */
  where(q: Knex.QueryBuilder, ctx: TicketQueryContext): void;
}

export const TICKET_QUERIES: readonly TicketQuery[] = [
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000001}',
    name: 'All tickets',
    counted: true,
    description: 'Every ticket, whatever its state.',
    where: () => {},
  },
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000002}',
    name: 'Open tickets',
    counted: true,
    onlyOpen: true,
    description: 'Tickets that are not closed (New, Open, InProgress, Waiting).',
    where: (q) => q.whereNot('t.state', 'Closed'),
  },
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000003}',
    name: 'My tickets',
    counted: true,
    description: 'Tickets assigned to the calling user (Settings.ApiUserId), in any state.',
    needsCaller: true,
    where: (q, ctx) => q.where('t.assignee_id', ctx.callerId!),
  },
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000004}',
    name: 'Unassigned tickets',
    counted: true,
    description: 'Tickets without a user or group assigned, in any state.',
    where: (q) => q.whereNull('t.assignee_id'),
  },
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000005}',
    name: 'Closed tickets',
    counted: true,
    description: 'Tickets in state Closed (merged tickets included).',
    where: (q) => q.where('t.state', 'Closed'),
  },
  {
    id: '{6E3A2B10-0C1D-4F7A-9B21-000000000006}',
    name: 'Overdue tickets',
    counted: false,
    onlyOpen: true,
    description: 'Tickets that are not closed and whose DueDate has passed.',
    // Same shape as the partial index tickets_open_due_date (migration 009).
    where: (q) => q.whereNot('t.state', 'Closed').whereRaw('t.due_date < now()'),
  },
];

/** Id, name and description of every built-in query, for the README and error messages. */
export const TICKET_QUERY_TABLE = TICKET_QUERIES.map(({ id, name, description }) => ({
  id,
  name,
  description,
}));

/** The built-in query with this Id (any GUID form), or NotFound (30) naming the known ones. */
export function findTicketQuery(id: string, field = 'QueryId'): TicketQuery {
  const query = TICKET_QUERIES.find((q) => bareGuid(q.id) === bareGuid(id));
  if (!query) {
    const known = TICKET_QUERIES.map((q) => `${q.id} ${q.name}`).join(', ');
    throw new NotFound(`${field}: no built-in query with Id ${id}; the known queries are ${known}`);
  }
  return query;
}
