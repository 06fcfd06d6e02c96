import { saveReminder } from '../../domain/reminders';
import type { CommandDefinition } from '../types';

interface Input {
  Reminder: { TicketId: string; UserId?: string | null; ReminderDate: Date | null; Text?: string };
}

export default {
  name: 'SaveReminderOfTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle({ Reminder: r }: Input, { db, caller }) {
    await saveReminder(
      db,
      { ticketId: r.TicketId, userId: r.UserId, reminderDate: r.ReminderDate, text: r.Text },
      caller,
    );
    return {};
  },
} satisfies CommandDefinition;
