import type { CommandDefinition } from '../types';
import { deleteEmailMonitors } from '../../domain/reference-lists';

export default {
  name: 'DeleteEmailMonitorList',
  version: 1,
  permission: 'ADMIN',
  async handle(input: { EmailMonitorIds: string[] }, { db }) {
    await deleteEmailMonitors(db, input.EmailMonitorIds);
    return {};
  },
} satisfies CommandDefinition;
