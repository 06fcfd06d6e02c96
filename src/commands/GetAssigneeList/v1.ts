import { listAssignees } from '../../domain/reference-lists';
import type { CommandDefinition } from '../types';
import { assigneeToWire } from '../wire/ticket';

export default {
  name: 'GetAssigneeList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    return { Assignees: (await listAssignees(db)).map(assigneeToWire) };
  },
} satisfies CommandDefinition;
