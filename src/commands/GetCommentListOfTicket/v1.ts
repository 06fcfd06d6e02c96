import { listCommentItems } from '../../domain/comment-store';
import type { CommandDefinition } from '../types';
import { commentListItemToWire } from '../wire/comment';

export default {
  name: 'GetCommentListOfTicket',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Comments: (await listCommentItems(db, input.TicketId)).map(commentListItemToWire) };
  },
} satisfies CommandDefinition;
