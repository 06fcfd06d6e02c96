import { listEmailMonitors } from '../../domain/reference-lists';
import type { CommandDefinition } from '../types';

export default {
  name: 'GetEmailMonitorList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    const monitors = await listEmailMonitors(db);
    return {
      EmailMonitors: monitors.map((m) => ({
        Id: m.id,
        Name: m.name,
        EmailAddress: m.emailAddress,
        Server: m.server,
        Enabled: m.enabled,
      })),
    };
  },
} satisfies CommandDefinition;
