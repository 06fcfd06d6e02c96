import type { CommandDefinition } from '../types';
import { deleteComment } from '../../domain/comment-store';

export default {
  name: 'DeleteTicketComment',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { CommentId: string }, { db }) {
    await deleteComment(db, input.CommentId);
    return {};
  },
} satisfies CommandDefinition;
