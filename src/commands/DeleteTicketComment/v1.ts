import { deleteComment } from '../../domain/comment-store';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteTicketComment',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { CommentId: string }, { db }) {
    await deleteComment(db, input.CommentId);
    return {};
  },
} satisfies CommandDefinition;
