// Ticket lists, version-free (spec §7: GetTicketList_V1, GetTicketListByQuery_V1/_V2,
// GetTicketListOfAsset_V1, GetLinkedTicketsOfTicket_V1/_V2). Every list is ordered with the unique
// ticket number as the last key, so equal dates or priorities never make paging unstable, and
// every ordering has a matching index (migration 009). Input text only ever travels as a
// bound parameter.
import type { Knex } from 'knex';
import { RuleViolation } from '../protocol/errors';
import { requireAssignee, requireExists } from './references';
import type { Caller } from '../identity/caller';

import { findTicketQuery, TicketQueryContext } from './ticket-queries';
import type { TicketState } from './tickets';
import type { LinkType } from './links';

/** A list answer holds at most this many tickets (ArrayOfTTicketListItem_V1 maxOccurs). */
export const MAX_LIST_SIZE = 1000;

export interface TicketListItem {
  id: string;
  number: number;
  title: string;
  state: TicketState;
  priority: number;
  categoryId: string | null;
  assigneeId: string | null;
  assigneeIsGroup: boolean;
  creationDate: Date;
  lastModified: Date;
}

export type TicketOrder = 'TicketNumber' | 'CreationDate' | 'LastModified' | 'Priority';

/** Every filter is optional; the given ones are combined with AND. */
export interface TicketFilter {
  queryId?: string | null;
  /** Case-insensitive substring of the title, the HTML description or a comment's text. */
  searchText?: string;
  states?: TicketState[];
  categoryId?: string | null;
  assigneeId?: string | null;
  /** LastModified at or after this moment. */
  modifiedSince?: Date | null;
}

export interface TicketPage {
  offset: number;
  limit: number;
  orderBy: TicketOrder;
  descending: boolean;
}

/** Newest first: the order of the lists that take no ordering. */
export const NEWEST_FIRST: Omit<TicketPage, 'limit'> = { offset: 0, orderBy: 'CreationDate', descending: true };

const ORDER_COLUMNS: Record<TicketOrder, string[]> = {
  TicketNumber: ['t.number'],
  CreationDate: ['t.creation_date', 't.number'],
  LastModified: ['t.last_modified', 't.number'],
  Priority: ['t.priority', 't.number'],
};

/** A requested list size outside 1..1000 is refused rather than silently cut (35). */
export function requireListSize(size: number, field: string): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_LIST_SIZE) {
    throw new RuleViolation(`${field}: must be from 1 to ${MAX_LIST_SIZE} (leave it out for ${MAX_LIST_SIZE}); got ${size}`);
  }
}

/**
 * One page of the tickets matching `filter`, and how many match in all. Referenced ids that do
 * not exist give 30 (spec §7), also when they are only filters.
 */
export async function listTickets(db: Knex, filter: TicketFilter, page: TicketPage, caller: Caller): Promise<{ tickets: TicketListItem[]; totalCount: number }> {
  const query = filter.queryId ? findTicketQuery(filter.queryId) : undefined;
  await requireExists(db, 'categories', filter.categoryId, 'CategoryId');
  await requireAssignee(db, filter.assigneeId, undefined, 'AssigneeId');
  const ctx: TicketQueryContext = query?.needsCaller ? { callerId: caller.id } : {};

  const matching = (conn: Knex) => {
    const q = conn('tickets as t');
    query?.where(q, ctx);
    applyFilter(q, filter);
    return q;
  };
  const direction = page.descending ? 'desc' : 'asc';
  const pageOf = (conn: Knex) =>
    selectItems(conn, matching(conn))
      .orderBy(ORDER_COLUMNS[page.orderBy].map((column) => ({ column, order: direction })))
      .offset(page.offset)
      .limit(page.limit);
  if (!filter.searchText) {
    // Without a text search, a separate count is cheap and lets the page walk an index. Count and
    // page in one statement: one round trip, and one snapshot, so TotalCount matches the page
    // (the count's row comes back also when the page is empty).
    const rows = await db
      .select('p.*', 'c.n as total_count')
      .from(matching(db).count({ n: '*' }).as('c'))
      .leftJoin(pageOf(db).as('p'), db.raw('true'))
      .orderBy(ORDER_COLUMNS[page.orderBy].map((column) => ({ column: column.replace(/^t\./, 'p.'), order: direction })));
    return { tickets: rows.filter((r: Record<string, any>) => r.id !== null).map(toItem), totalCount: Number(rows[0].total_count) };
  }
  // The count and the page come from one snapshot, so TotalCount matches the page.
  return db.transaction(
    async (trx) => {
      const count = async () => Number((await matching(trx).count({ n: '*' }))[0].n);
      // A text search costs most in finding the matches: find them once, for page and count.
      const rows = await pageOf(trx).select(trx.raw('count(*) over () as total_count'));
      const totalCount = rows.length ? Number(rows[0].total_count) : page.offset > 0 ? await count() : 0;
      return { tickets: rows.map(toItem), totalCount };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

function applyFilter(q: Knex.QueryBuilder, f: TicketFilter): void {
  if (f.states?.length) q.whereIn('t.state', f.states);
  if (f.categoryId) q.where('t.category_id', f.categoryId);
  if (f.assigneeId) q.where('t.assignee_id', f.assigneeId);
  if (f.modifiedSince) q.where('t.last_modified', '>=', f.modifiedSince);
  if (f.searchText) {
    // One branch per trigram index (migration 009); a plain OR over the three would defeat them
    // and scan every description. The operator is ~* (case-insensitive regular expression) over
    // a fully escaped, hence literal, pattern rather than ILIKE: both are served by the trigram
    // indexes, but ILIKE lowercases every candidate text first, which in a UTF-8 database made a
    // common word over 100,000 tickets take 0.8 s instead of 0.5 s (rechecking the matches
    // dominates).
    const pattern = literalPattern(f.searchText);
    q.whereRaw(
      `t.id in (select id from tickets where title ~* ?
         union select id from tickets where html_description ~* ?
         union select ticket_id from ticket_comments where text ~* ?)`,
      [pattern, pattern, pattern],
    );
  }
}

/**
 * A regular expression matching `text` literally: every ASCII punctuation character (which
 * covers every metacharacter, and the LIKE wildcards % _ \ too) is escaped with a backslash,
 * which in PostgreSQL's regular expressions always means "this character itself".
 */
export function literalPattern(text: string): string {
  return text.replace(/[!-\/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** Tickets linked to an asset, newest first (at most 1000). Unknown asset: 30. */
export async function listTicketsOfAsset(db: Knex, assetId: string): Promise<TicketListItem[]> {
  await requireExists(db, 'assets', assetId, 'AssetId');
  const rows = await newestFirst(selectItems(db, db('tickets as t').whereIn('t.id', db('ticket_assets').select('ticket_id').where({ asset_id: assetId }))));
  return rows.map(toItem);
}

/** A linked ticket with its role as seen from the ticket whose links were asked (spec §9). */
export interface LinkedTicketItem extends TicketListItem {
  linkType: LinkType;
}

/** Tickets linked to a ticket, newest first (at most 1000), with their link type. Unknown ticket: 30. */
export async function listLinkedTickets(db: Knex, ticketId: string): Promise<LinkedTicketItem[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  // A link is stored once, smaller id first, typed from ticket_a's side (migrations 008, 013):
  // the ticket may be on either side, and from ticket_b's side the type is flipped.
  const linked = db('ticket_links').select('ticket_b as id', 'link_type').where({ ticket_a: ticketId })
    .unionAll((u) => u.select('ticket_a as id', db.raw('ticket_link_flip(link_type)')).from('ticket_links').where({ ticket_b: ticketId }));
  const rows = await newestFirst(selectItems(db, db('tickets as t').join(linked.as('l'), 'l.id', 't.id')).select('l.link_type'));
  return rows.map((r: Record<string, any>) => ({ ...toItem(r), linkType: r.link_type }));
}

function newestFirst(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q.orderBy([{ column: 't.creation_date', order: 'desc' }, { column: 't.number', order: 'desc' }]).limit(MAX_LIST_SIZE);
}

function selectItems(db: Knex, q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q
    .leftJoin('assignees as a', 'a.id', 't.assignee_id')
    .select('t.id', 't.number', 't.title', 't.state', 't.priority', 't.category_id', 't.assignee_id', 't.creation_date', 't.last_modified')
    .select(db.raw('coalesce(a.is_group, false) as assignee_is_group'));
}

function toItem(r: Record<string, any>): TicketListItem {
  return {
    id: r.id,
    number: r.number,
    title: r.title,
    state: r.state,
    priority: r.priority,
    categoryId: r.category_id,
    assigneeId: r.assignee_id,
    assigneeIsGroup: r.assignee_is_group,
    creationDate: r.creation_date,
    lastModified: r.last_modified,
  };
}
