import { saveComment } from '../../domain/comment-store';
import type { CommandDefinition } from '../types';
import { commentSave, type WireComment } from '../wire/comment';

export default {
  name: 'SaveTicketComment',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { Comment: WireComment }, { db, caller }) {
    return { CommentId: await saveComment(db, commentSave(input.Comment), caller) };
  },
} satisfies CommandDefinition;
