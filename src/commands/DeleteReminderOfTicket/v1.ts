import { deleteReminder } from '../../domain/reminders';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteReminderOfTicket',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; UserId?: string | null }, { db, caller }) {
    await deleteReminder(db, input.TicketId, input.UserId, caller);
    return {};
  },
} satisfies CommandDefinition;
