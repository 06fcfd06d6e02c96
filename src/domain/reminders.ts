// Ticket reminders, version-free (docs/protocol.md §7: SaveReminderOfTicket_V1, DeleteReminderOfTicket_V1).
// One reminder per ticket and user (primary key of ticket_reminders, migration 007).
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { NotFound, RuleViolation } from '../vocabulary/errors';
import { requireAssignee } from './references';

import { lockWritableTicket } from './ticket-locks';

export interface ReminderSave {
  ticketId: string;
  /** null or undefined: the calling user (docs/protocol.md §6, TTicketReminder_V1). */
  userId?: string | null;
  /** null when the client sent the zero date, which means "no date" (docs/protocol.md §2). */
  reminderDate: Date | null;
  text?: string;
}

/** Sets the reminder of a user on a ticket; saving again replaces it, text included. */
export async function saveReminder(
  db: Knex,
  r: ReminderSave,
  caller: Caller,
  field = 'Reminder',
): Promise<void> {
  if (!r.reminderDate) {
    throw new RuleViolation(
      `${field}/ReminderDate: a reminder needs a real date (1899-12-30T00:00:00.000Z means no date); to remove a reminder use DeleteReminderOfTicket_V1`,
    );
  }
  const userId = r.userId ?? caller.id;
  await db.transaction(async (trx) => {
    // FOR SHARE: a concurrent merge waits for us; a merged ticket is read-only (ticket-locks.ts).
    await lockWritableTicket(trx, r.ticketId, `${field}/TicketId`, 'share');
    await requireAssignee(trx, userId, false, `${field}/UserId`);
    // A single upsert: two concurrent saves for the same ticket and user leave one reminder.
    await trx('ticket_reminders')
      .insert({
        ticket_id: r.ticketId,
        user_id: userId,
        reminder_date: r.reminderDate,
        text: r.text ?? '',
      })
      .onConflict(['ticket_id', 'user_id'])
      .merge();
  });
}

/** Deletes the reminder of a user (default: the caller) on a ticket; 30 when there is none. */
export async function deleteReminder(
  db: Knex,
  ticketId: string,
  userId: string | null | undefined,
  caller: Caller,
): Promise<void> {
  const user = userId ?? caller.id;
  await db.transaction(async (trx) => {
    await lockWritableTicket(trx, ticketId, 'TicketId', 'share');
    await requireAssignee(trx, user, false, 'UserId');
    const deleted = await trx('ticket_reminders')
      .delete()
      .where({ ticket_id: ticketId, user_id: user });
    if (!deleted) {
      const who = userId ? `user ${userId}` : `the calling user (${caller.name})`;
      throw new NotFound(
        `TicketId: ticket ${ticketId} has no reminder of ${who}; nothing was deleted`,
      );
    }
  });
}
