import type { CommandDefinition } from '../types';
import { saveReminder } from '../../domain/reminders';

interface Input {
  Reminder: { TicketId: string; UserId?: string | null; ReminderDate: Date | null; Text?: string };
}

export default {
  name: 'SaveReminderOfTicket',
  version: 1,
  async handle({ Reminder: r }: Input, { db }) {
    await saveReminder(db, { ticketId: r.TicketId, userId: r.UserId, reminderDate: r.ReminderDate, text: r.Text });
    return {};
  },
} satisfies CommandDefinition;
