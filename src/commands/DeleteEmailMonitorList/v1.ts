import { deleteEmailMonitors } from '../../domain/reference-lists';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteEmailMonitorList',
  version: 1,
  permission: 'ADMIN',
  async handle(input: { EmailMonitorIds: string[] }, { db }) {
    await deleteEmailMonitors(db, input.EmailMonitorIds);
    return {};
  },
} satisfies CommandDefinition;
