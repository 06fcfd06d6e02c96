// Links of a ticket to assets, clients and other tickets (docs/protocol.md §7: LinkAssetsToTicket_V1,
// LinkClientsToTicket_V1, LinkTicketsToTicket_V1; docs/protocol.md §9: the Unlink… commands,
// LinkTicketsToTicket_V2). Each command is one transaction: when any id is unknown nothing is
// linked or unlinked. Linking twice stores one link (the primary keys of migration 008);
// unlinking what is not linked is not an error. Unlinking obeys the rules of linking (unknown
// ids 30, unknown client 26, self link and merged tickets 35). Links do not change LastModified.
import type { Knex } from 'knex';
import { ClientNotFound, type FieldError, NotFound, RuleViolation } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { lockTickets, lockWritableTicket, mergedProblem } from './ticket-locks';

/** Ids as the request named them, with the wire path of each (e.g. `AssetIds/string[2]`). */
export interface IdList {
  field: string; // "AssetIds"
  ids: string[];
  /** The wire path of item i when it is not `field/string[i+1]` (a list of structures). */
  path?: (index: number) => string;
}

interface LinkTarget {
  table: string; // the table the ids must exist in
  label: string;
  notFound: (message: string) => Error;
}

const ASSETS: LinkTarget = { table: 'assets', label: 'asset', notFound: (m) => new NotFound(m) };
// docs/protocol.md §3: an unknown client is ResultCode 26, not 30.
const CLIENTS: LinkTarget = {
  table: 'clients',
  label: 'client',
  notFound: (m) => new ClientNotFound(m),
};
const TICKETS: LinkTarget = { table: 'tickets', label: 'ticket', notFound: (m) => new NotFound(m) };

export const itemPath = (field: string, index: number) => `${field}/string[${index + 1}]`;

/** Distinct ids in pg's form (lower case, no braces), first occurrence first. */
export function distinctIds(ids: string[]): string[] {
  return [...new Set(ids.map(bareGuid))];
}

/**
 * Locks the rows of `ids` in `table` (FOR SHARE, in id order so that concurrent commands
 * never wait on each other in a cycle) and throws `target.notFound` naming every unknown id.
 */
export async function requireAll(
  trx: Knex.Transaction,
  target: LinkTarget,
  list: IdList,
): Promise<void> {
  const wanted = distinctIds(list.ids);
  if (!wanted.length) return;
  const found = new Set(
    (await trx(target.table).select('id').whereIn('id', wanted).orderBy('id').forShare()).map(
      (r: { id: string }) => r.id,
    ),
  );
  const missing: FieldError[] = [];
  list.ids.forEach((id, i) => {
    if (!found.has(bareGuid(id)))
      missing.push({
        path: list.path?.(i) ?? itemPath(list.field, i),
        message: `no ${target.label} with Id ${id}`,
      });
  });
  if (missing.length)
    throw target.notFound(missing.map((e) => `${e.path}: ${e.message}`).join('; '));
}

/** The ticket everything is linked to; locked FOR SHARE so a concurrent merge waits for us. 35 when merged. */
async function requireTicket(trx: Knex.Transaction, ticketId: string): Promise<void> {
  await lockWritableTicket(trx, ticketId, 'TicketId', 'share');
}

export async function linkAssets(db: Knex, ticketId: string, assetIds: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await requireTicket(trx, ticketId);
    await requireAll(trx, ASSETS, { field: 'AssetIds', ids: assetIds });
    const rows = distinctIds(assetIds).map((id) => ({ ticket_id: ticketId, asset_id: id }));
    if (rows.length)
      await trx('ticket_assets').insert(rows).onConflict(['ticket_id', 'asset_id']).ignore();
  });
}

export async function linkClients(db: Knex, ticketId: string, clientIds: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await requireTicket(trx, ticketId);
    await requireAll(trx, CLIENTS, { field: 'ClientIds', ids: clientIds });
    const rows = distinctIds(clientIds).map((id) => ({ ticket_id: ticketId, client_id: id }));
    if (rows.length)
      await trx('ticket_clients').insert(rows).onConflict(['ticket_id', 'client_id']).ignore();
  });
}

export async function unlinkAssets(db: Knex, ticketId: string, assetIds: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await requireTicket(trx, ticketId);
    await requireAll(trx, ASSETS, { field: 'AssetIds', ids: assetIds });
    const ids = distinctIds(assetIds);
    if (ids.length)
      await trx('ticket_assets').where({ ticket_id: ticketId }).whereIn('asset_id', ids).del();
  });
}

export async function unlinkClients(
  db: Knex,
  ticketId: string,
  clientIds: string[],
): Promise<void> {
  await db.transaction(async (trx) => {
    await requireTicket(trx, ticketId);
    await requireAll(trx, CLIENTS, { field: 'ClientIds', ids: clientIds });
    const ids = distinctIds(clientIds);
    if (ids.length)
      await trx('ticket_clients').where({ ticket_id: ticketId }).whereIn('client_id', ids).del();
  });
}

/** Zammad's link types (docs/protocol.md §9): the role of the linked ticket as seen from the other one. */
export type LinkType = 'Normal' | 'Parent' | 'Child';

/** A parent of B is seen from B as its child (the SQL twin is ticket_link_flip, migration 013). */
export function flipLinkType(t: LinkType): LinkType {
  return t === 'Parent' ? 'Child' : t === 'Child' ? 'Parent' : t;
}

export interface TicketLink {
  ticketId: string;
  /** The role of `ticketId` as seen from the ticket it is linked to. */
  linkType: LinkType;
}

/** The stored form of a symmetric link: once per pair, smaller uuid first (migration 008). */
export function linkRow(x: string, y: string): { ticket_a: string; ticket_b: string } {
  const [a, b] = [bareGuid(x), bareGuid(y)].sort();
  return { ticket_a: a, ticket_b: b };
}

/** A typed link from `x` to `y` (y's role seen from x) as stored: the type is seen from ticket_a. */
function typedLinkRow(
  x: string,
  link: TicketLink,
): { ticket_a: string; ticket_b: string; link_type: LinkType } {
  const row = linkRow(x, link.ticketId);
  return {
    ...row,
    link_type: row.ticket_a === bareGuid(x) ? link.linkType : flipLinkType(link.linkType),
  };
}

/**
 * Locks every ticket a link change involves and checks the rules of LinkTicketsToTicket_V1:
 * every ticket exists (30), none is merged (35). Self links are refused before (refuseSelfLinks).
 * `path(i)` is the wire path of the i-th linked ticket id.
 */
async function lockLinkedTickets(
  trx: Knex.Transaction,
  ticketId: string,
  list: IdList & { path: (i: number) => string },
): Promise<void> {
  // One locking pass in id order over every ticket involved, so a concurrent merge (which
  // locks in the same order) cannot deadlock with us; the checks below re-read held locks.
  const locked = await lockTickets(trx, [ticketId, ...list.ids], 'share');
  await requireTicket(trx, ticketId);
  await requireAll(trx, TICKETS, list);
  // A merged ticket is read-only, on either side of a link (ticket-locks.ts).
  const merged = list.ids
    .map((id, i) => mergedProblem(locked.get(bareGuid(id))!, list.path(i)))
    .filter((p) => p !== undefined);
  if (merged.length)
    throw new RuleViolation(merged.map((p) => `${p.path}: ${p.message}`).join('; '));
}

function refuseSelfLinks(
  ticketId: string,
  ids: string[],
  path: (i: number) => string,
  listName: string,
  rule = 'a ticket cannot link to itself',
): void {
  const self = bareGuid(ticketId);
  const selfLinks = ids.map((id, i) => (bareGuid(id) === self ? path(i) : '')).filter(Boolean);
  if (selfLinks.length) {
    throw new RuleViolation(
      `${selfLinks.join(', ')}: ${rule}; leave TicketId ${ticketId} out of ${listName}`,
    );
  }
}

/** Rows in key order: two commands writing overlapping link rows then queue instead of deadlocking. */
const byKey = <T extends { ticket_a: string; ticket_b: string }>(rows: T[]) =>
  rows.sort((p, q) => (p.ticket_a + p.ticket_b < q.ticket_a + q.ticket_b ? -1 : 1));

/** Version 1: plain links. A new link is Normal; an existing link keeps its type (documented in the README). */
export async function linkTickets(db: Knex, ticketId: string, ticketIds: string[]): Promise<void> {
  const path = (i: number) => itemPath('TicketIds', i);
  refuseSelfLinks(ticketId, ticketIds, path, 'TicketIds');
  await db.transaction(async (trx) => {
    await lockLinkedTickets(trx, ticketId, { field: 'TicketIds', ids: ticketIds, path });
    const rows = byKey(distinctIds(ticketIds).map((id) => linkRow(ticketId, id)));
    if (rows.length)
      await trx('ticket_links').insert(rows).onConflict(['ticket_a', 'ticket_b']).ignore();
  });
}

const linkPath = (i: number) => `Links/TTicketLink_V1[${i + 1}]/TicketId`;

/** Version 2: typed links; linking again with another type changes the type. */
export async function linkTicketsTyped(
  db: Knex,
  ticketId: string,
  links: TicketLink[],
): Promise<void> {
  const ids = links.map((l) => l.ticketId);
  refuseSelfLinks(ticketId, ids, linkPath, 'Links');
  // One ticket named twice with different types is ambiguous: refused rather than guessed.
  const first = new Map<string, number>();
  const conflicts: string[] = [];
  links.forEach((l, i) => {
    const seen = first.get(bareGuid(l.ticketId));
    if (seen === undefined) first.set(bareGuid(l.ticketId), i);
    else if (links[seen].linkType !== l.linkType) {
      conflicts.push(
        `${linkPath(i)}: ticket ${l.ticketId} is also linked as ${links[seen].linkType} in Links/TTicketLink_V1[${seen + 1}]; name each ticket once`,
      );
    }
  });
  if (conflicts.length) throw new RuleViolation(conflicts.join('; '));
  await db.transaction(async (trx) => {
    await lockLinkedTickets(trx, ticketId, { field: 'Links', ids, path: linkPath });
    const rows = byKey([...first.values()].map((i) => typedLinkRow(ticketId, links[i])));
    if (rows.length)
      await trx('ticket_links')
        .insert(rows)
        .onConflict(['ticket_a', 'ticket_b'])
        .merge(['link_type']);
  });
}

/** Removes links of any type, from whichever side they were made; a missing link is not an error. */
export async function unlinkTickets(
  db: Knex,
  ticketId: string,
  ticketIds: string[],
): Promise<void> {
  const path = (i: number) => itemPath('TicketIds', i);
  refuseSelfLinks(ticketId, ticketIds, path, 'TicketIds', 'a ticket is never linked to itself');
  await db.transaction(async (trx) => {
    await lockLinkedTickets(trx, ticketId, { field: 'TicketIds', ids: ticketIds, path });
    const rows = byKey(distinctIds(ticketIds).map((id) => linkRow(ticketId, id)));
    if (rows.length)
      await trx('ticket_links')
        .whereIn(
          ['ticket_a', 'ticket_b'],
          rows.map((r) => [r.ticket_a, r.ticket_b]),
        )
        .del();
  });
}
