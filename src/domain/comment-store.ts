// Saving, reading and deleting ticket comments (docs/protocol.md §7: SaveTicketComment, GetTicketComment(s),
// GetCommentListOfTicket, DeleteTicketComment), version-free. addComment in comments.ts stays the
// stricter helper CloseTicket and ReopenTicket use.
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { type FieldError, NotFound, RuleViolation, ValidationFailed } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { commentRow } from './comments';
import { requireExists } from './references';

import { type LockedTicket, lockEntries, refuseIfMerged, refuseOtherTicket } from './ticket-locks';

/**
 * A save. Undefined leaves a stored value unchanged. The read-only fields of TTicketComment
 * (Creator, CreationDate, IsExternal, External*, Signature) have no place here on purpose:
 * a Save ignores them (docs/protocol.md §7 [doc]).
 */
export interface CommentSave {
  id: string;
  ticketId?: string | null;
  text?: string;
  htmlText?: string;
  isVisibleForWeb?: boolean;
}

export interface Comment {
  id: string;
  ticketId: string;
  text: string;
  htmlText: string;
  isVisibleForWeb: boolean;
  isExternal: boolean;
  externalMail: string;
  externalRecipient: string;
  externalCc: string;
  signature: string;
  creator: string;
  creationDate: Date;
}

export interface CommentListItem {
  id: string;
  ticketId: string;
  creator: string;
  creationDate: Date;
  isExternal: boolean;
  /** The first 200 characters of the text (TTicketCommentListItem_V1). */
  preview: string;
}

export const PREVIEW_LENGTH = 200;

/** Creates the comment, or edits it when its Id exists (partial: Text, HtmlText, IsVisibleForWeb). */
export async function saveComment(db: Knex, input: CommentSave, caller: Caller): Promise<string> {
  return db.transaction(async (trx) => {
    // Ticket, then comment (lock order: ticket-locks.ts).
    const { tickets, entries } = await lockEntries(
      trx,
      'ticket_comments',
      [input.id],
      [input.ticketId],
      'id, ticket_id',
    );
    const existing = entries.get(bareGuid(input.id));
    if (existing) return editComment(trx, existing, input, tickets);

    const errors: FieldError[] = [];
    const why = 'a new comment needs Id, TicketId and Text';
    if (!input.ticketId) errors.push({ path: 'Comment/TicketId', message: `missing; ${why}` });
    if (!input.text) errors.push({ path: 'Comment/Text', message: `missing; ${why}` });
    if (errors.length) throw new ValidationFailed(errors);
    const ticket = tickets.get(bareGuid(input.ticketId!));
    if (!ticket) throw new NotFound(`Comment/TicketId: no ticket with Id ${input.ticketId}`);
    refuseIfMerged(ticket, 'Comment/TicketId');

    const [inserted] = await trx('ticket_comments')
      .insert(
        commentRow(
          {
            id: input.id,
            ticketId: input.ticketId!,
            text: input.text!,
            htmlText: input.htmlText,
            isVisibleForWeb: input.isVisibleForWeb,
          },
          caller,
        ),
      )
      .onConflict('id')
      .ignore()
      .returning('id');
    if (inserted) return inserted.id as string;
    // Created meanwhile by a request on another ticket (ours is locked): a comment never moves.
    const winner = await trx('ticket_comments').first('ticket_id').where({ id: input.id });
    if (winner)
      refuseOtherTicket('comment', input.id, winner.ticket_id, input.ticketId, 'Comment/TicketId');
    throw new RuleViolation(
      `Comment/Id: comment ${input.id} was just saved or deleted by another request; send the request again`,
    );
  });
}

async function editComment(
  trx: Knex.Transaction,
  existing: Record<string, any>,
  input: CommentSave,
  tickets: Map<string, LockedTicket>,
): Promise<string> {
  // An empty TicketId cannot detach a comment from its ticket: only a different one is an error.
  refuseOtherTicket('comment', input.id, existing.ticket_id, input.ticketId, 'Comment/TicketId');
  refuseIfMerged(tickets.get(existing.ticket_id)!, 'Comment/TicketId');
  if (input.text === '')
    throw new RuleViolation(
      'Comment/Text: must not be empty; leave Text out to keep the stored text',
    );
  const changes: Record<string, unknown> = {};
  if (input.text !== undefined) changes.text = input.text;
  if (input.htmlText !== undefined) changes.html_text = input.htmlText;
  if (input.isVisibleForWeb !== undefined) changes.is_visible_for_web = input.isVisibleForWeb;
  if (Object.keys(changes).length)
    await trx('ticket_comments').update(changes).where({ id: existing.id });
  return existing.id;
}

const COMMENT_COLUMNS = [
  'id',
  'ticket_id',
  'text',
  'html_text',
  'is_visible_for_web',
  'is_external',
  'external_mail',
  'external_recipient',
  'external_cc',
  'signature',
  'creator',
  'creation_date',
];

function toComment(r: Record<string, any>): Comment {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    text: r.text,
    htmlText: r.html_text,
    isVisibleForWeb: r.is_visible_for_web,
    isExternal: r.is_external,
    externalMail: r.external_mail,
    externalRecipient: r.external_recipient,
    externalCc: r.external_cc,
    signature: r.signature,
    creator: r.creator,
    creationDate: r.creation_date,
  };
}

export async function getComment(db: Knex, id: string): Promise<Comment> {
  const row = await db('ticket_comments').first(COMMENT_COLUMNS).where({ id });
  if (!row) throw new NotFound(`CommentId: no comment with Id ${id}`);
  return toComment(row);
}

/** Oldest first; comments written in the same transaction keep the order they were written in. */
export async function listComments(db: Knex, ticketId: string): Promise<Comment[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  const rows = await db('ticket_comments')
    .select(COMMENT_COLUMNS)
    .where({ ticket_id: ticketId })
    .orderBy([{ column: 'creation_date' }, { column: 'position' }]);
  return rows.map(toComment);
}

export async function listCommentItems(db: Knex, ticketId: string): Promise<CommentListItem[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  // left() counts characters (code points), not bytes, and spares sending whole texts over.
  const rows = await db('ticket_comments')
    .select(
      'id',
      'ticket_id',
      'creator',
      'creation_date',
      'is_external',
      db.raw('left(text, ?) as preview', [PREVIEW_LENGTH]),
    )
    .where({ ticket_id: ticketId })
    .orderBy([{ column: 'creation_date' }, { column: 'position' }]);
  return rows.map((r) => ({
    id: r.id,
    ticketId: r.ticket_id,
    creator: r.creator,
    creationDate: r.creation_date,
    isExternal: r.is_external,
    preview: r.preview,
  }));
}

export async function deleteComment(db: Knex, id: string): Promise<void> {
  await db.transaction(async (trx) => {
    // Ticket, then comment: the LastModified trigger updates the ticket (ticket-locks.ts).
    const { tickets, entries } = await lockEntries(
      trx,
      'ticket_comments',
      [id],
      [],
      'id, ticket_id',
    );
    const comment = entries.get(bareGuid(id));
    if (!comment) throw new NotFound(`CommentId: no comment with Id ${id}`);
    refuseIfMerged(tickets.get(comment.ticket_id)!, 'CommentId');
    await trx('ticket_comments').delete().where({ id });
  });
}
