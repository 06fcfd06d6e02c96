import { saveWorkingTime } from '../../domain/working-times';
import type { CommandDefinition } from '../types';
import { type WireWorkingTime, workingTimeSave } from '../wire/working-time';

export default {
  name: 'SaveTicketWorkingTime',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { WorkingTime: WireWorkingTime }, { db }) {
    return { WorkingTimeId: await saveWorkingTime(db, workingTimeSave(input.WorkingTime)) };
  },
} satisfies CommandDefinition;
