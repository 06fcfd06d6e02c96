import type { CommandDefinition } from '../types';
import { deleteReminder } from '../../domain/reminders';

export default {
  name: 'DeleteReminderOfTicket',
  version: 1,
  async handle(input: { TicketId: string; UserId?: string | null }, { db }) {
    await deleteReminder(db, input.TicketId, input.UserId);
    return {};
  },
} satisfies CommandDefinition;
