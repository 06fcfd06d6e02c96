// Ticket comments, version-free.
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { RuleViolation } from '../vocabulary/errors';
import { sameId } from '../vocabulary/values';

export interface NewComment {
  id: string;
  ticketId: string;
  text: string;
  htmlText?: string;
  isVisibleForWeb?: boolean;
}

/**
 * Adds a comment written by `caller`. Returns false when a comment with this Id already exists
 * on this ticket with the same text (a retried request), and refuses any other reuse of the Id.
 */
export async function addComment(
  trx: Knex.Transaction | Knex,
  c: NewComment,
  caller: Caller,
  field = 'Comment',
): Promise<boolean> {
  // Insert first, conflict-safe: a concurrent save of the same Id cannot make this a unique
  // violation; when a row with the Id exists (or wins the race) it decides below.
  const [inserted] = await trx('ticket_comments')
    .insert(commentRow(c, caller))
    .onConflict('id')
    .ignore()
    .returning('id');
  if (inserted) return true;
  const existing = await trx('ticket_comments').first('ticket_id', 'text').where({ id: c.id });
  if (existing && sameId(existing.ticket_id, c.ticketId) && existing.text === c.text) return false;
  throw new RuleViolation(`${field}/Id: a different comment with Id ${c.id} already exists`);
}

/** The stored row of a new comment: the creator is always the calling user. */
export function commentRow(c: NewComment, caller: Caller): Record<string, unknown> {
  return {
    id: c.id,
    ticket_id: c.ticketId,
    text: c.text,
    html_text: c.htmlText ?? '',
    is_visible_for_web: c.isVisibleForWeb ?? false,
    creator_id: caller.id,
    creator: caller.name,
  };
}
