// Links of a ticket to assets, clients and other tickets (spec §7: LinkAssetsToTicket_V1,
// LinkClientsToTicket_V1, LinkTicketsToTicket_V1). Each command is one transaction: when any id
// is unknown nothing is linked. Linking twice stores one link (the primary keys of migration 008).
import type { Knex } from 'knex';
import { ClientNotFound, FieldError, NotFound, RuleViolation } from '../protocol/errors';
import { bareGuid } from '../protocol/values';
import { lockTickets, lockWritableTicket, mergedProblem } from './ticket-locks';

/** Ids as the request named them, with the wire path of each (e.g. `AssetIds/string[2]`). */
export interface IdList {
  field: string; // "AssetIds"
  ids: string[];
}

interface LinkTarget {
  table: string; // the table the ids must exist in
  label: string;
  notFound: (message: string) => Error;
}

const ASSETS: LinkTarget = { table: 'assets', label: 'asset', notFound: (m) => new NotFound(m) };
// spec §3: an unknown client is ResultCode 26, not 30.
const CLIENTS: LinkTarget = { table: 'clients', label: 'client', notFound: (m) => new ClientNotFound(m) };
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
export async function requireAll(trx: Knex.Transaction, target: LinkTarget, list: IdList): Promise<void> {
  const wanted = distinctIds(list.ids);
  if (!wanted.length) return;
  const found = new Set(
    (await trx(target.table).select('id').whereIn('id', wanted).orderBy('id').forShare()).map((r: { id: string }) => r.id),
  );
  const missing: FieldError[] = [];
  list.ids.forEach((id, i) => {
    if (!found.has(bareGuid(id))) missing.push({ path: itemPath(list.field, i), message: `no ${target.label} with Id ${id}` });
  });
  if (missing.length) throw target.notFound(missing.map((e) => `${e.path}: ${e.message}`).join('; '));
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
    if (rows.length) await trx('ticket_assets').insert(rows).onConflict(['ticket_id', 'asset_id']).ignore();
  });
}

export async function linkClients(db: Knex, ticketId: string, clientIds: string[]): Promise<void> {
  await db.transaction(async (trx) => {
    await requireTicket(trx, ticketId);
    await requireAll(trx, CLIENTS, { field: 'ClientIds', ids: clientIds });
    const rows = distinctIds(clientIds).map((id) => ({ ticket_id: ticketId, client_id: id }));
    if (rows.length) await trx('ticket_clients').insert(rows).onConflict(['ticket_id', 'client_id']).ignore();
  });
}

/** The stored form of a symmetric link: once per pair, smaller uuid first (migration 008). */
export function linkRow(x: string, y: string): { ticket_a: string; ticket_b: string } {
  const [a, b] = [bareGuid(x), bareGuid(y)].sort();
  return { ticket_a: a, ticket_b: b };
}

export async function linkTickets(db: Knex, ticketId: string, ticketIds: string[]): Promise<void> {
  const self = bareGuid(ticketId);
  const selfLinks = ticketIds.map((id, i) => (bareGuid(id) === self ? itemPath('TicketIds', i) : '')).filter(Boolean);
  if (selfLinks.length) {
    throw new RuleViolation(`${selfLinks.join(', ')}: a ticket cannot link to itself; leave TicketId ${ticketId} out of TicketIds`);
  }
  await db.transaction(async (trx) => {
    // One locking pass in id order over every ticket involved, so a concurrent merge (which
    // locks in the same order) cannot deadlock with us; the checks below re-read held locks.
    const locked = await lockTickets(trx, [ticketId, ...ticketIds], 'share');
    await requireTicket(trx, ticketId);
    await requireAll(trx, TICKETS, { field: 'TicketIds', ids: ticketIds });
    // A merged ticket is read-only, on either side of a link (ticket-locks.ts).
    const merged = ticketIds.map((id, i) => mergedProblem(locked.get(bareGuid(id))!, itemPath('TicketIds', i))).filter((p) => p !== undefined);
    if (merged.length) throw new RuleViolation(merged.map((p) => `${p.path}: ${p.message}`).join('; '));
    const rows = distinctIds(ticketIds).map((id) => linkRow(self, id));
    if (rows.length) await trx('ticket_links').insert(rows).onConflict(['ticket_a', 'ticket_b']).ignore();
  });
}
