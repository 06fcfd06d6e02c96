import { listWorkingTimes } from '../../domain/working-times';
import type { CommandDefinition } from '../types';
import { workingTimeToWire } from '../wire/working-time';

export default {
  name: 'GetTicketWorkingTimeList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { WorkingTimes: (await listWorkingTimes(db, input.TicketId)).map(workingTimeToWire) };
  },
} satisfies CommandDefinition;
