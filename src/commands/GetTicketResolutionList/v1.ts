import { listResolutions } from '../../domain/reference-lists';
import type { CommandDefinition } from '../types';

export default {
  name: 'GetTicketResolutionList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    const resolutions = await listResolutions(db);
    return {
      Resolutions: resolutions.map((r) => ({ Id: r.id, Name: r.name, Description: r.description })),
    };
  },
} satisfies CommandDefinition;
