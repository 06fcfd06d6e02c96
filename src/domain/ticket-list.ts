// Ticket lists, version-free (docs/protocol.md §7: GetTicketList_V1, GetTicketListByQuery_V1/_V2,
// GetTicketListOfAsset_V1, GetLinkedTicketsOfTicket_V1/_V2). Every list is ordered with the unique
// ticket number as the last key, so equal dates or priorities never make paging unstable, and
// every ordering has a matching index (migration 009). Input text only ever travels as a
// bound parameter.
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { RuleViolation } from '../vocabulary/errors';
import type { LinkType } from './links';
import { requireAssignee, requireExists } from './references';
import {
  COMPACT_AFTER_EXTRA_ROWS,
  compactTicketCounts,
  EXTRA_COUNTER_ROWS,
  TICKETS_COUNTED,
} from './ticket-counts';
import { findTicketQuery, type TicketQuery, type TicketQueryContext } from './ticket-queries';
import type { TicketState } from './tickets';

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
export const NEWEST_FIRST: Omit<TicketPage, 'limit'> = {
  offset: 0,
  orderBy: 'CreationDate',
  descending: true,
};

const ORDER_COLUMNS: Record<TicketOrder, string[]> = {
  TicketNumber: ['t.number'],
  CreationDate: ['t.creation_date', 't.number'],
  LastModified: ['t.last_modified', 't.number'],
  Priority: ['t.priority', 't.number'],
};

/** A requested list size outside 1..1000 is refused rather than silently cut (35). */
export function requireListSize(size: number, field: string): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_LIST_SIZE) {
    throw new RuleViolation(
      `${field}: must be from 1 to ${MAX_LIST_SIZE} (leave it out for ${MAX_LIST_SIZE}); got ${size}`,
    );
  }
}

/**
 * One page of the tickets matching `filter`, and how many match in all. Referenced ids that do
 * not exist give 30 (docs/protocol.md §7), also when they are only filters.
 */
export async function listTickets(
  db: Knex,
  filter: TicketFilter,
  page: TicketPage,
  caller: Caller,
): Promise<{ tickets: TicketListItem[]; totalCount: number }> {
  const query = filter.queryId ? findTicketQuery(filter.queryId) : undefined;
  await requireExists(db, 'categories', filter.categoryId, 'CategoryId');
  await requireAssignee(db, filter.assigneeId, undefined, 'AssigneeId');
  const ctx: TicketQueryContext = query?.needsCaller ? { callerId: caller.id } : {};

  const direction = page.descending ? 'desc' : 'asc';
  const paged = (q: Knex.QueryBuilder) =>
    selectItems(db, q)
      .orderBy(ORDER_COLUMNS[page.orderBy].map((column) => ({ column, order: direction })))
      .offset(page.offset)
      .limit(page.limit);
  const countOf = async (q: Knex.QueryBuilder) => Number((await q.count({ n: '*' }))[0].n);

  // Page and TotalCount come from one snapshot, so TotalCount matches the page: one statement
  // where it can be (also saving the transaction's round trips), else one transaction.
  if (filter.searchText) {
    // A text search costs most in finding the matches: find them once, for page and count.
    const matches = () => searchMatches(db, filter, query, ctx);
    const rows = await paged(matches()).select(db.raw('count(*) over () as total_count'));
    const totalCount = rows.length
      ? Number(rows[0].total_count)
      : page.offset > 0
        ? await countOf(matches())
        : 0;
    return { tickets: rows.map(toItem), totalCount };
  }
  if (!filter.modifiedSince && (!query || query.counted)) {
    // ticket_counts (migration 015) has the exact TotalCount: a sum of a few rows, read by the
    // page's statement; the page itself walks an index with LIMIT.
    const counters = () => applyFilter(db('ticket_counts as t'), filter, query, ctx);
    const rows = await paged(applyFilter(db('tickets as t'), filter, query, ctx)).select(
      counters().select(db.raw(TICKETS_COUNTED)).as('total_count'),
      counters().select(db.raw(EXTRA_COUNTER_ROWS)).as('extra_counter_rows'),
    );
    if (rows.length && Number(rows[0].extra_counter_rows) > COMPACT_AFTER_EXTRA_ROWS)
      await compactTicketCounts(db);
    const totalCount = Number(
      rows.length
        ? rows[0].total_count
        : (await counters().select(db.raw(`${TICKETS_COUNTED} as n`)))[0].n,
    );
    return { tickets: rows.map(toItem), totalCount };
  }
  // A date (ModifiedSince, "Overdue"): the matching tickets are counted.
  return db.transaction(
    async (trx) => {
      const totalCount = await countOf(applyFilter(trx('tickets as t'), filter, query, ctx));
      return {
        tickets: (await paged(applyFilter(trx('tickets as t'), filter, query, ctx))).map(toItem),
        totalCount,
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

/**
 * Adds the conditions of `f` (but its SearchText, see searchMatches) and of the built-in `query`
 * on the tickets (or ticket_counts, or the matches of a search) aliased `t`.
 */
function applyFilter(
  q: Knex.QueryBuilder,
  f: TicketFilter,
  query: TicketQuery | undefined,
  ctx: TicketQueryContext,
): Knex.QueryBuilder {
  query?.where(q, ctx);
  if (f.states?.length) q.whereIn('t.state', f.states);
  if (f.categoryId) q.where('t.category_id', f.categoryId);
  if (f.assigneeId) q.where('t.assignee_id', f.assigneeId);
  if (f.modifiedSince) q.where('t.last_modified', '>=', f.modifiedSince);
  return q;
}

// What a search keeps of each matching ticket: what the list shows and every filter reads.
const SEARCH_COLUMNS = [
  't.id',
  't.number',
  't.title',
  't.state',
  't.priority',
  't.category_id',
  't.assignee_id',
  't.due_date',
  't.creation_date',
  't.last_modified',
];

/**
 * The tickets whose title, description or a comment contains the SearchText, with every other
 * condition applied, as a query on `t`. One branch per trigram index (migrations 009, 014); a
 * plain OR over the three would defeat them and scan every description. The branches carry the
 * columns the list shows, so the page needs no second visit to each match. When the filters
 * rule out closed tickets, the branches say so and the trigram indexes over open tickets
 * (migration 015) serve them: a search among open tickets reads the open matches only, not
 * every ticket of all time with the word. The other conditions are applied to the matches
 * (materialized), not inside the branches: there PostgreSQL would AND the trigram index with
 * a btree one (e.g. on state), costlier than checking the few matches.
 * The operator is ~* (case-insensitive regular expression) over a fully escaped, hence
 * literal, pattern rather than ILIKE: both are served by the trigram indexes, but ILIKE
 * lowercases every candidate text first, which in a UTF-8 database made a common word over
 * 100,000 tickets take 0.8 s instead of 0.5 s (rechecking the matches dominates).
 */
function searchMatches(
  db: Knex,
  f: TicketFilter,
  query: TicketQuery | undefined,
  ctx: TicketQueryContext,
): Knex.QueryBuilder {
  const pattern = literalPattern(f.searchText!);
  const onlyOpen = (f.states?.length ? !f.states.includes('Closed') : false) || !!query?.onlyOpen;
  const branch = (from: Knex.QueryBuilder, text: string) => {
    from.select(SEARCH_COLUMNS).whereRaw(`${text} ~* ?`, [pattern]);
    return onlyOpen ? from.whereNot('t.state', 'Closed') : from;
  };
  const union = branch(db('tickets as t'), 't.title')
    .union(branch(db('tickets as t'), 't.html_description'))
    .union(
      branch(db('ticket_comments as c').join('tickets as t', 't.id', 'c.ticket_id'), 'c.text'),
    );
  return applyFilter(
    db.withMaterialized('matches', union).from('matches as t'),
    { ...f, searchText: undefined },
    query,
    ctx,
  );
}

/**
 * A regular expression matching `text` literally: every ASCII punctuation character (which
 * covers every metacharacter, and the LIKE wildcards % _ \ too) is escaped with a backslash,
 * which in PostgreSQL's regular expressions always means "this character itself".
 */
export function literalPattern(text: string): string {
  return text.replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}

/** Tickets linked to an asset, newest first (at most 1000). Unknown asset: 30. */
export async function listTicketsOfAsset(db: Knex, assetId: string): Promise<TicketListItem[]> {
  await requireExists(db, 'assets', assetId, 'AssetId');
  const rows = await newestFirst(
    selectItems(
      db,
      db('tickets as t').whereIn(
        't.id',
        db('ticket_assets').select('ticket_id').where({ asset_id: assetId }),
      ),
    ),
  );
  return rows.map(toItem);
}

/** A linked ticket with its role as seen from the ticket whose links were asked (docs/protocol.md §9). */
export interface LinkedTicketItem extends TicketListItem {
  linkType: LinkType;
}

/** Tickets linked to a ticket, newest first (at most 1000), with their link type. Unknown ticket: 30. */
export async function listLinkedTickets(db: Knex, ticketId: string): Promise<LinkedTicketItem[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  // A link is stored once, smaller id first, typed from ticket_a's side (migrations 008, 013):
  // the ticket may be on either side, and from ticket_b's side the type is flipped.
  const linked = db('ticket_links')
    .select('ticket_b as id', 'link_type')
    .where({ ticket_a: ticketId })
    .unionAll((u) =>
      u
        .select('ticket_a as id', db.raw('ticket_link_flip(link_type)'))
        .from('ticket_links')
        .where({ ticket_b: ticketId }),
    );
  const rows = await newestFirst(
    selectItems(db, db('tickets as t').join(linked.as('l'), 'l.id', 't.id')).select('l.link_type'),
  );
  return rows.map((r: Record<string, any>) => ({ ...toItem(r), linkType: r.link_type }));
}

function newestFirst(q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q
    .orderBy([
      { column: 't.creation_date', order: 'desc' },
      { column: 't.number', order: 'desc' },
    ])
    .limit(MAX_LIST_SIZE);
}

function selectItems(db: Knex, q: Knex.QueryBuilder): Knex.QueryBuilder {
  return q
    .leftJoin('assignees as a', 'a.id', 't.assignee_id')
    .select(
      't.id',
      't.number',
      't.title',
      't.state',
      't.priority',
      't.category_id',
      't.assignee_id',
      't.creation_date',
      't.last_modified',
    )
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
