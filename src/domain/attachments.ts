// Ticket attachments (docs/protocol.md §7: SaveTicketAttachments, GetTicketAttachment(s),
// DeleteTicketAttachments), version-free.
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { type FieldError, NotFound, ValidationFailed } from '../vocabulary/errors';
import { bareGuid, formatGuid, sameId } from '../vocabulary/values';
import { decodeBase64 } from './base64';
import { deleteAllOrNone } from './id-lists';
import { getSettings, requireExists } from './references';

import { lockTickets, mergedProblem, otherTicketProblem } from './ticket-locks';

/** One item of a save; undefined means "not given". Size, Creator and CreationDate are read-only. */
export interface AttachmentSave {
  id: string;
  ticketId?: string | null;
  documentId?: string | null;
  name?: string;
  fileName?: string;
  description?: string;
  isVisibleForWeb?: boolean;
  /** Base64 text as it came in. */
  content?: string;
}

export interface Attachment {
  id: string;
  ticketId: string;
  documentId: string;
  name: string;
  fileName: string;
  description: string;
  isVisibleForWeb: boolean;
  size: number;
  creator: string;
  creationDate: Date;
  /** Only when asked for (GetTicketAttachment). */
  content?: Buffer;
}

/** Why the list was refused; ValidationFailed gives FirstErrorMsg, the first failing item. */
export class AttachmentsRefused extends ValidationFailed {
  constructor(errors: FieldError[]) {
    super(errors);
    this.message += '. Nothing was saved';
  }
}

export class AttachmentTicketNotFound extends NotFound {
  readonly firstErrorMsg = this.message;
}

const itemPath = (i: number) => `Attachments/TTicketAttachment_V1[${i + 1}]`;

interface Planned {
  index?: number;
  insert?: Record<string, unknown>;
  update?: { id: string; changes: Record<string, unknown> };
}

/**
 * Saves every item or none (docs/protocol.md §7). New items need Id, DocumentId, Name, FileName and Content;
 * an existing Id is an edit in which only Description and IsVisibleForWeb change, Id and
 * DocumentId must still be given and DocumentId must match. Name, FileName and Content of an
 * edit are ignored, like read-only fields ([doc]: "only Description and IsVisibleForWeb change").
 * Every item is checked before anything is written, and all problems are reported.
 */
export async function saveAttachments(
  db: Knex,
  ticketId: string,
  items: AttachmentSave[],
  caller: Caller,
): Promise<void> {
  const maxBytes = (await getSettings(db)).maxAttachmentSizeKb * 1024;
  await db.transaction(async (trx) => {
    // Locking the ticket serialises concurrent saves of attachments on it (lock order: ticket-locks.ts).
    const ticket = (await lockTickets(trx, [ticketId])).get(bareGuid(ticketId));
    if (!ticket) throw new AttachmentTicketNotFound(`TicketId: no ticket with Id ${ticketId}`);
    const merged = mergedProblem(ticket, 'TicketId');
    if (merged) throw new AttachmentsRefused([merged]);
    const ids = items.map((a) => a.id);
    const stored = new Map<string, Record<string, any>>();
    if (ids.length) {
      for (const row of await trx('ticket_attachments')
        .forUpdate()
        .select('id', 'ticket_id', 'document_id', 'description', 'is_visible_for_web')
        .whereIn('id', ids)
        .orderBy('id')) {
        stored.set(row.id, row);
      }
    }

    const errors: FieldError[] = [];
    const plans: Planned[] = [];
    const seen = new Map<string, number>();
    for (const [i, item] of items.entries()) {
      const at = itemPath(i);
      const fail: Fail = (field, message) => void errors.push({ path: `${at}/${field}`, message });
      const key = bareGuid(item.id);
      if (seen.has(key)) {
        fail(
          'Id',
          `the same Id as item ${seen.get(key)! + 1}; each attachment may appear once per request`,
        );
        continue;
      }
      seen.set(key, i);
      if (item.ticketId && !sameId(ticketId, item.ticketId))
        fail('TicketId', `must be the request's TicketId ${ticketId} or left out`);
      const existing = stored.get(key);
      const moved =
        existing &&
        otherTicketProblem('attachment', item.id, existing.ticket_id, ticketId, `${at}/Id`);
      if (moved) {
        errors.push(moved);
        continue;
      }
      const plan = existing
        ? planEdit(item, existing, fail)
        : planInsert(item, ticketId, maxBytes, caller, fail);
      if (plan) plans.push({ ...plan, index: i });
    }
    if (errors.length) throw new AttachmentsRefused(errors);

    for (const p of plans) {
      if (p.update)
        await trx('ticket_attachments').update(p.update.changes).where({ id: p.update.id });
      if (p.insert) {
        const [inserted] = await trx('ticket_attachments')
          .insert(p.insert)
          .onConflict('id')
          .ignore()
          .returning('id');
        // Only a save on another ticket can race us here (this ticket's row is locked).
        if (!inserted)
          throw new AttachmentsRefused([
            {
              path: `${itemPath(p.index!)}/Id`,
              message: 'was just saved by another request; send the request again',
            },
          ]);
      }
    }
  });
}

type Fail = (field: string, message: string) => undefined;

const WIRE_TO_FIELD = { DocumentId: 'documentId', Name: 'name', FileName: 'fileName' } as const;

function planEdit(
  item: AttachmentSave,
  existing: Record<string, any>,
  fail: Fail,
): Planned | undefined {
  if (!item.documentId)
    return fail('DocumentId', 'missing; editing an attachment needs Id and DocumentId');
  if (!sameId(existing.document_id, item.documentId)) {
    return fail(
      'DocumentId',
      `does not match the stored attachment's DocumentId ${formatGuid(existing.document_id)}; the DocumentId of an attachment cannot change`,
    );
  }
  const changes: Record<string, unknown> = {};
  if (item.description !== undefined && item.description !== existing.description)
    changes.description = item.description;
  if (item.isVisibleForWeb !== undefined && item.isVisibleForWeb !== existing.is_visible_for_web)
    changes.is_visible_for_web = item.isVisibleForWeb;
  return Object.keys(changes).length ? { update: { id: existing.id, changes } } : {};
}

function planInsert(
  item: AttachmentSave,
  ticketId: string,
  maxBytes: number,
  caller: { id: string; name: string },
  fail: Fail,
): Planned | undefined {
  const why = 'a new attachment needs Id, DocumentId, Name, FileName and Content';
  const missing = (['DocumentId', 'Name', 'FileName'] as const).filter(
    (f) => !item[WIRE_TO_FIELD[f]],
  );
  for (const field of missing) fail(field, `missing; ${why}`);
  // Content is checked even when other fields are missing: every problem is reported at once.
  if (!item.content) return fail('Content', `missing; ${why}`);
  const decoded = decodeBase64(item.content);
  if (!decoded.ok) return fail('Content', `not valid base64: ${decoded.error}`);
  if (decoded.bytes.length > maxBytes)
    return fail(
      'Content',
      `${decoded.bytes.length} bytes is more than MaxAttachmentSizeKb (${maxBytes / 1024} KB)`,
    );
  if (missing.length) return undefined;
  return {
    insert: {
      id: item.id,
      ticket_id: ticketId,
      document_id: item.documentId,
      name: item.name,
      file_name: item.fileName,
      description: item.description ?? '',
      is_visible_for_web: item.isVisibleForWeb ?? false,
      size: decoded.bytes.length,
      content: decoded.bytes,
      creator_id: caller.id,
      creator: caller.name,
    },
  };
}

const META_COLUMNS = [
  'id',
  'ticket_id',
  'document_id',
  'name',
  'file_name',
  'description',
  'is_visible_for_web',
  'size',
  'creator',
  'creation_date',
];

function toAttachment(r: Record<string, any>): Attachment {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    documentId: r.document_id,
    name: r.name,
    fileName: r.file_name,
    description: r.description,
    isVisibleForWeb: r.is_visible_for_web,
    size: r.size,
    creator: r.creator,
    creationDate: r.creation_date,
    content: r.content,
  };
}

/** Metadata only: the content stays in the database. Oldest first. */
export async function listAttachments(db: Knex, ticketId: string): Promise<Attachment[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  const rows = await db('ticket_attachments')
    .select(META_COLUMNS)
    .where({ ticket_id: ticketId })
    .orderBy([{ column: 'creation_date' }, { column: 'position' }]);
  return rows.map(toAttachment);
}

export async function getAttachment(db: Knex, id: string): Promise<Attachment> {
  const row = await db('ticket_attachments')
    .first([...META_COLUMNS, 'content'])
    .where({ id });
  if (!row) throw new NotFound(`AttachmentId: no attachment with Id ${id}`);
  return toAttachment(row);
}

/** Deletes all of them or, when any Id is unknown, none (30 naming every unknown Id). */
export async function deleteAttachments(db: Knex, ids: string[]): Promise<void> {
  await deleteAllOrNone(db, 'ticket_attachments', ids, 'AttachmentIds', 'attachment');
}
