import { listComments } from '../../domain/comment-store';
import type { CommandDefinition } from '../types';
import { commentToWire } from '../wire/comment';

export default {
  name: 'GetTicketComments',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Comments: (await listComments(db, input.TicketId)).map(commentToWire) };
  },
} satisfies CommandDefinition;
