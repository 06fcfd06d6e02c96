// Loading tickets for writing: the one lock order and the rules every write obeys.
//
// LOCK ORDER (every transaction that writes more than one row keeps it, so two of them queue
// instead of deadlocking):
//   1. the tickets involved, in one statement, in id order, FOR NO KEY UPDATE (FOR SHARE when
//      only links or reminders are added, typed or removed) — lockTickets() below;
//   2. then the entries (comments, attachments, working times, costs), in id order.
// An entry's ticket is locked before the entry even for a delete: the LastModified triggers of
// migration 010 update the ticket row, which would otherwise be locked after the entry.
// Inserts that can race with another insert of the same Id use INSERT … ON CONFLICT DO NOTHING
// and then read the row that won; a unique violation never escapes to the caller.
//
// MERGED TICKETS: a ticket merged into another (MasterTicketId set) is final and read-only.
// Every command that would change it or add to it is refused with 35 naming the ticket it was
// merged into; reading it keeps working.
import type { Knex } from 'knex';
import { type FieldError, NotFound, RuleViolation } from '../vocabulary/errors';
import { bareGuid, formatGuid, sameId } from '../vocabulary/values';

export interface LockedTicket {
  id: string;
  number: number;
  state: string;
  assignee_id: string | null;
  resolution_id: string | null;
  master_ticket_id: string | null;
  master_number: number | null;
}

// 'delete' (DeleteTickets_V1) takes FOR UPDATE at once: a row lock upgraded from NO KEY UPDATE
// at the DELETE could wait for a key-share lock while holding the others.
const LOCK_CLAUSE = { update: 'no key update', share: 'share', delete: 'update' } as const;

/** Locks the existing tickets among `ids` (step 1 of the lock order); keyed by bare id. */
export async function lockTickets(
  trx: Knex.Transaction,
  ids: (string | null | undefined)[],
  mode: keyof typeof LOCK_CLAUSE = 'update',
): Promise<Map<string, LockedTicket>> {
  const wanted = [...new Set(ids.filter((id): id is string => !!id).map(bareGuid))];
  if (!wanted.length) return new Map();
  const rows: LockedTicket[] = (
    await trx.raw(
      `select t.id, t.number, t.state, t.assignee_id, t.resolution_id, t.master_ticket_id, m.number as master_number
         from tickets t left join tickets m on m.id = t.master_ticket_id
        where t.id = any(?::uuid[]) order by t.id for ${LOCK_CLAUSE[mode]} of t`,
      [wanted],
    )
  ).rows;
  return new Map(rows.map((r) => [r.id, r]));
}

/** The refusal of a write to a merged ticket, or undefined when the ticket is not merged. */
export function mergedProblem(t: LockedTicket, path: string): FieldError | undefined {
  if (!t.master_ticket_id) return undefined;
  return {
    path,
    message: `ticket ${t.number} is merged into ticket ${t.master_number} (Id ${formatGuid(t.master_ticket_id)}) and is read-only; work on ticket ${t.master_number} instead`,
  };
}

export function refuseIfMerged(t: LockedTicket, path: string): void {
  const p = mergedProblem(t, path);
  if (p) throw new RuleViolation(`${p.path}: ${p.message}`);
}

/** Locks one ticket for writing: 30 when it does not exist, 35 when it is merged. */
export async function lockWritableTicket(
  trx: Knex.Transaction,
  id: string,
  path = 'TicketId',
  mode: 'update' | 'share' = 'update',
): Promise<LockedTicket> {
  const t = (await lockTickets(trx, [id], mode)).get(bareGuid(id));
  if (!t) throw new NotFound(`${path}: no ticket with Id ${id}`);
  refuseIfMerged(t, path);
  return t;
}

/**
 * An entry never moves to another ticket (comments, attachments, working times, costs alike):
 * an edit that names a TicketId other than the stored one is refused (35), nothing changes.
 */
export function otherTicketProblem(
  label: string,
  entryId: string,
  storedTicketId: string,
  sentTicketId: string | null | undefined,
  path: string,
): FieldError | undefined {
  if (!sentTicketId || sameId(storedTicketId, sentTicketId)) return undefined;
  return {
    path,
    message: `${label} ${entryId} belongs to ticket ${formatGuid(storedTicketId)}, not to ticket ${sentTicketId}; entries never move between tickets: edit it on ticket ${formatGuid(storedTicketId)}, or leave TicketId out where the command allows`,
  };
}

export function refuseOtherTicket(
  label: string,
  entryId: string,
  storedTicketId: string,
  sentTicketId: string | null | undefined,
  path: string,
): void {
  const p = otherTicketProblem(label, entryId, storedTicketId, sentTicketId, path);
  if (p) throw new RuleViolation(`${p.path}: ${p.message}`);
}

/**
 * Locks, for a write of entries of `table`, the tickets they belong to and then the entries
 * (the lock order above). `extraTicketIds` are tickets the write names itself (new entries).
 * An entry whose ticket changed between the unlocked read and the locks (a merge moved it)
 * is looked up again. Returns the locked tickets and the stored entries, keyed by bare id.
 */
export async function lockEntries(
  trx: Knex.Transaction,
  table: string,
  ids: string[],
  extraTicketIds: (string | null | undefined)[] = [],
  columns = '*',
): Promise<{ tickets: Map<string, LockedTicket>; entries: Map<string, Record<string, any>> }> {
  const wanted = [...new Set(ids.map(bareGuid))].sort();
  for (;;) {
    const owners: { ticket_id: string }[] = wanted.length
      ? await trx(table).distinct('ticket_id').whereIn('id', wanted)
      : [];
    // In a savepoint: when a concurrent merge moved an entry to another ticket meanwhile, rolling
    // back to it releases the locks taken, and the next round locks all owners in id order again
    // (locking the new owner on top of held ones would break the order and can deadlock).
    const locked = await trx
      .transaction(async (sp) => {
        const tickets = await lockTickets(sp, [
          ...owners.map((o) => o.ticket_id),
          ...extraTicketIds,
        ]);
        const rows: Record<string, any>[] = wanted.length
          ? await sp(table).select(sp.raw(columns)).whereIn('id', wanted).orderBy('id').forUpdate()
          : [];
        if (!rows.every((r) => tickets.has(r.ticket_id))) throw MOVED;
        return { tickets, entries: new Map(rows.map((r) => [r.id, r])) };
      })
      .catch((e) => {
        if (e === MOVED) return undefined;
        throw e;
      });
    if (locked) return locked;
  }
}

const MOVED = new Error('an entry moved to another ticket while it was being locked');
