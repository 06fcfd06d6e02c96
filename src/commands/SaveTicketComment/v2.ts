import type { CommandDefinition } from '../types';
import { saveComment } from '../../domain/comment-store';
import { commentSave, WireComment } from '../wire/comment';

export default {
  name: 'SaveTicketComment',
  version: 2,
  async handle(input: { Comment: WireComment }, { db }) {
    return { CommentId: await saveComment(db, commentSave(input.Comment)) };
  },
} satisfies CommandDefinition;
