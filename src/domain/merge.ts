// Merging tickets (docs/protocol.md §7: MergeTickets_V1), in ONE transaction: the entries and links of the
// merged tickets move to the surviving ticket, and each merged ticket is closed with
// master_ticket_id pointing at the survivor.
import type { Knex } from 'knex';
import { NotFound, RuleViolation } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { distinctIds, itemPath } from './links';
import { type LockedTicket, lockTickets, mergedProblem } from './ticket-locks';

// Entries that belong to exactly one ticket and simply change owner.
const OWNED = ['ticket_comments', 'ticket_attachments', 'ticket_working_times', 'ticket_costs'];

export async function mergeTickets(
  db: Knex,
  survivorId: string,
  mergedIds: string[],
): Promise<void> {
  if (!mergedIds.length)
    throw new RuleViolation('TicketIds: empty; name at least one ticket to merge into TicketId');
  const survivor = bareGuid(survivorId);
  const self = mergedIds
    .map((id, i) => (bareGuid(id) === survivor ? itemPath('TicketIds', i) : ''))
    .filter(Boolean);
  if (self.length)
    throw new RuleViolation(
      `${self.join(', ')}: a ticket cannot be merged into itself; leave TicketId ${survivorId} out of TicketIds`,
    );
  const mergedAll = distinctIds(mergedIds);

  await db.transaction(async (trx) => {
    // Lock every ticket involved in one statement, in id order: two merges over overlapping
    // tickets then queue instead of deadlocking (the lock order of ticket-locks.ts). That
    // includes the tickets merged earlier into the merged ones: their MasterTicketId changes.
    const followers: { id: string }[] = await trx('tickets')
      .select('id')
      .whereIn('master_ticket_id', mergedAll);
    const byId = await lockTickets(trx, [survivor, ...mergedAll, ...followers.map((f) => f.id)]);
    checkTickets(byId, survivorId, mergedIds);
    // Whatever the merged tickets still hold moves to the survivor, also on a retried merge
    // (nothing, unless imported data left entries on a merged ticket): after an answer 0 the
    // survivor has them all (docs/protocol.md §7).
    await moveEntries(trx, survivor, mergedAll);
    await moveLinks(trx, survivor, mergedAll);
    // A ticket merged into this survivor already is a retried merge: it stays as it is.
    const merged = mergedAll.filter((id) => !byId.get(id)!.master_ticket_id);
    if (!merged.length) return;

    // A merged ticket that was already closed keeps its ClosedDate.
    await trx('tickets')
      .whereIn('id', merged)
      .update({
        state: 'Closed',
        closed_date: trx.raw('coalesce(closed_date, now())'),
        master_ticket_id: survivor,
        last_modified: trx.fn.now(),
      });
    // Tickets merged earlier into a ticket merged now follow it to the survivor: MasterTicketId
    // always names a ticket that is not merged itself.
    await trx('tickets').whereIn('master_ticket_id', merged).update({ master_ticket_id: survivor });
    await trx('tickets').where({ id: survivor }).update({ last_modified: trx.fn.now() });
  });
}

/** Unknown ids (30, all named), then merged tickets (35): a merged ticket is final (ticket-locks.ts). */
function checkTickets(
  byId: Map<string, LockedTicket>,
  survivorId: string,
  mergedIds: string[],
): void {
  const missing: string[] = [];
  if (!byId.has(bareGuid(survivorId))) missing.push(`TicketId: no ticket with Id ${survivorId}`);
  mergedIds.forEach((id, i) => {
    if (!byId.has(bareGuid(id)))
      missing.push(`${itemPath('TicketIds', i)}: no ticket with Id ${id}`);
  });
  if (missing.length) throw new NotFound(missing.join('; '));

  const survivor = byId.get(bareGuid(survivorId))!;
  const problems = [mergedProblem(survivor, 'TicketId')];
  mergedIds.forEach((id, i) => {
    const t = byId.get(bareGuid(id))!;
    // Merged into this survivor already: a retry, not a problem.
    if (t.master_ticket_id !== survivor.id)
      problems.push(mergedProblem(t, itemPath('TicketIds', i)));
  });
  const found = problems.filter((p) => p !== undefined);
  if (found.length) throw new RuleViolation(found.map((p) => `${p.path}: ${p.message}`).join('; '));
}

async function moveEntries(
  trx: Knex.Transaction,
  survivor: string,
  merged: string[],
): Promise<void> {
  for (const table of OWNED)
    await trx(table).whereIn('ticket_id', merged).update({ ticket_id: survivor });

  // One reminder per ticket and user (migration 007): the survivor's own reminder wins; among
  // the merged tickets' reminders for the same user the earliest is kept.
  await trx.raw(
    `delete from ticket_reminders r
      where r.ticket_id = any(?::uuid[])
        and (exists (select 1 from ticket_reminders s where s.ticket_id = ? and s.user_id = r.user_id)
          or exists (select 1 from ticket_reminders o
                      where o.ticket_id = any(?::uuid[]) and o.user_id = r.user_id
                        and (o.reminder_date, o.ticket_id) < (r.reminder_date, r.ticket_id)))`,
    [merged, survivor, merged],
  );
  await trx('ticket_reminders').whereIn('ticket_id', merged).update({ ticket_id: survivor });
}

/** Asset, client and ticket links (with their types) move to the survivor; duplicates and self-links are dropped. */
async function moveLinks(trx: Knex.Transaction, survivor: string, merged: string[]): Promise<void> {
  for (const [table, column] of [
    ['ticket_assets', 'asset_id'],
    ['ticket_clients', 'client_id'],
  ]) {
    await trx.raw(
      `insert into ${table} (ticket_id, ${column})
       select distinct ?::uuid, ${column} from ${table} where ticket_id = any(?::uuid[])
       on conflict do nothing`,
      [survivor, merged],
    );
    await trx(table).whereIn('ticket_id', merged).del();
  }

  // The other end of each link of a merged ticket, with its role seen from the merged ticket
  // (stored from ticket_a's side, migration 013); ends inside the merge would become self-links.
  // The role carries over to the survivor and is stored from the new ticket_a's side. A link the
  // survivor already has to that ticket keeps its type; when several merged tickets link to it,
  // the merged ticket with the smallest id decides.
  await trx.raw(
    `insert into ticket_links (ticket_a, ticket_b, link_type)
     select distinct on (other) least(?::uuid, other), greatest(?::uuid, other),
            case when ?::uuid < other then role else ticket_link_flip(role) end
       from (select case when ticket_a = any(?::uuid[]) then ticket_b else ticket_a end as other,
                    case when ticket_a = any(?::uuid[]) then link_type else ticket_link_flip(link_type) end as role,
                    case when ticket_a = any(?::uuid[]) then ticket_a else ticket_b end as merged_end
               from ticket_links where ticket_a = any(?::uuid[]) or ticket_b = any(?::uuid[])) ends
      where other <> ?::uuid and not other = any(?::uuid[])
      order by other, merged_end
     on conflict do nothing`,
    [survivor, survivor, survivor, merged, merged, merged, merged, merged, survivor, merged],
  );
  await trx('ticket_links').whereIn('ticket_a', merged).orWhereIn('ticket_b', merged).del();
}
