import { deleteWorkingTimes } from '../../domain/working-times';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteTicketWorkingTimeList',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { WorkingTimeIds: string[] }, { db }) {
    await deleteWorkingTimes(db, input.WorkingTimeIds);
    return {};
  },
} satisfies CommandDefinition;
