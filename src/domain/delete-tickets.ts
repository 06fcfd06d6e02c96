// Deleting tickets (docs/protocol.md §9: DeleteTickets_V1), all or none in ONE transaction, with everything
// attached to them: comments, attachments, working times, costs, reminders, and their asset,
// client and ticket links (the linked tickets themselves stay as they are).
//
// Merged tickets: a ticket merged into another may be deleted (it is read-only, not undeletable).
// A ticket that others were merged into (their MasterTicketId names it) is refused (35) while any
// of them stays; deleting it together with all of them in one request is fine: nothing is left
// pointing at a deleted ticket.
import type { Knex } from 'knex';
import { NotFound, RuleViolation } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { itemPath } from './links';
import { lockTickets } from './ticket-locks';

// Rows that belong to one ticket; the four entry tables first (their delete triggers touch the
// ticket row, which is locked already and goes next).
const OWNED = [
  'ticket_comments',
  'ticket_attachments',
  'ticket_working_times',
  'ticket_costs',
  'ticket_reminders',
  'ticket_assets',
  'ticket_clients',
];

export async function deleteTickets(db: Knex, ticketIds: string[]): Promise<void> {
  if (!ticketIds.length) return;
  const wanted = [...new Set(ticketIds.map(bareGuid))];
  await db.transaction(async (trx) => {
    // FOR UPDATE in id order (ticket-locks.ts). Holding a ticket's lock also stops a merge into it,
    // so the tickets merged into it, read next, cannot change before the commit.
    const tickets = await lockTickets(trx, wanted, 'delete');
    const missing = ticketIds
      .map((id, i) =>
        tickets.has(bareGuid(id)) ? '' : `${itemPath('TicketIds', i)}: no ticket with Id ${id}`,
      )
      .filter(Boolean);
    if (missing.length) throw new NotFound(`${missing.join('; ')}; nothing was deleted`);

    const followers: { number: number; master_ticket_id: string }[] = await trx('tickets')
      .select('number', 'master_ticket_id')
      .whereIn('master_ticket_id', wanted)
      .whereNotIn('id', wanted)
      .orderBy('number');
    if (followers.length) {
      const problems = ticketIds
        .map((id, i) => {
          const left = followers
            .filter((f) => f.master_ticket_id === bareGuid(id))
            .map((f) => f.number);
          if (!left.length || ticketIds.findIndex((other) => bareGuid(other) === bareGuid(id)) < i)
            return '';
          const t = tickets.get(bareGuid(id))!;
          return `${itemPath('TicketIds', i)}: ticket ${t.number} has tickets merged into it (${left.map((n) => `ticket ${n}`).join(', ')}); delete them first or in the same request`;
        })
        .filter(Boolean);
      throw new RuleViolation(`${problems.join('; ')}; nothing was deleted`);
    }

    for (const table of OWNED) await trx(table).whereIn('ticket_id', wanted).del();
    await trx('ticket_links').whereIn('ticket_a', wanted).orWhereIn('ticket_b', wanted).del();
    // One statement: a master and the tickets merged into it go together (the foreign key of
    // master_ticket_id is checked at the end of the statement).
    await trx('tickets').whereIn('id', wanted).del();
  });
}
