import { getComment } from '../../domain/comment-store';
import type { CommandDefinition } from '../types';
import { commentToWire } from '../wire/comment';

// Renders the fields of TTicketComment_V1 only: the response schema decides.
export default {
  name: 'GetTicketComment',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { CommentId: string }, { db }) {
    return { Comment: commentToWire(await getComment(db, input.CommentId)) };
  },
} satisfies CommandDefinition;
