// Deleting a list of entries by Id, all or none (docs/protocol.md §7: DeleteTicketAttachments_V1,
// DeleteTicketWorkingTimeList_V1, DeleteTicketCosts_V1, DeleteEmailMonitorList_V1): one unknown
// Id answers 30 naming every unknown one, and nothing is deleted.
import type { Knex } from 'knex';
import { type FieldError, NotFound, RuleViolation } from '../vocabulary/errors';
import { sameId } from '../vocabulary/values';
import { type LockedTicket, lockEntries, mergedProblem } from './ticket-locks';

// The tables whose rows belong to a ticket (their delete trigger updates it, migration 010).
const TICKET_ENTRIES = new Set([
  'ticket_comments',
  'ticket_attachments',
  'ticket_working_times',
  'ticket_costs',
]);

/**
 * Deletes the rows of `table` whose ids are listed, in one transaction. The rows are locked
 * first, so a concurrent delete of the same Id makes one of the two requests answer 30
 * instead of both reporting success. `listPath` is the wire path of the list (e.g. "CostIds").
 */
export async function deleteAllOrNone(
  db: Knex,
  table: string,
  ids: string[],
  listPath: string,
  label: string,
): Promise<void> {
  if (!ids.length) return;
  await db.transaction(async (trx) => {
    // Locked in id order, so that two deletes of overlapping lists queue instead of deadlocking;
    // a ticket's entries after their tickets (ticket-locks.ts: the delete trigger updates them).
    let found: { id: string; ticket_id?: string }[];
    let tickets = new Map<string, LockedTicket>();
    if (TICKET_ENTRIES.has(table)) {
      const locked = await lockEntries(trx, table, ids, [], 'id, ticket_id');
      found = [...locked.entries.values()] as { id: string; ticket_id: string }[];
      tickets = locked.tickets;
    } else {
      found = await trx(table).forUpdate().select('id').whereIn('id', ids).orderBy('id');
    }
    const missing = ids
      .map((id, i) => ({ id, path: `${listPath}/string[${i + 1}]` }))
      .filter(({ id }) => !found.some((row) => sameId(row.id, id)));
    if (missing.length) {
      const problems = missing.map((m) => `${m.path}: no ${label} with Id ${m.id}`).join('; ');
      throw new NotFound(`${problems}; nothing was deleted`);
    }
    const merged = ids
      .map((id, i) => {
        const entry = found.find((row) => sameId(row.id, id));
        const ticket = entry?.ticket_id ? tickets.get(entry.ticket_id) : undefined;
        return ticket && mergedProblem(ticket, `${listPath}/string[${i + 1}]`);
      })
      .filter((p): p is FieldError => !!p);
    if (merged.length)
      throw new RuleViolation(
        `${merged.map((p) => `${p.path}: ${p.message}`).join('; ')}; nothing was deleted`,
      );
    await trx(table).delete().whereIn('id', ids);
  });
}
