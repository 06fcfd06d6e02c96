// Lookups of referenced ids (ResultCode 30 when one does not exist) and of the settings.
import type { Knex } from 'knex';
import { NotFound } from '../protocol/errors';
import { preparedQuery } from '../db/connection';

export interface HelpdeskSettings {
  resolutionsEnabled: boolean;
  commentRequiredOnClose: boolean;
  workingTimesEnabled: boolean;
  workingTimeRequiredOnClose: boolean;
  maxAttachmentSizeKb: number;
  defaultPriority: number;
}

export async function getSettings(db: Knex): Promise<HelpdeskSettings> {
  const row = await db('settings').first();
  if (!row) throw new Error('The settings row is missing: load a seed file (npm run seed -- fixtures/seed/demo.json)');
  return {
    resolutionsEnabled: row.resolutions_enabled,
    commentRequiredOnClose: row.comment_required_on_close,
    workingTimesEnabled: row.working_times_enabled,
    workingTimeRequiredOnClose: row.working_time_required_on_close,
    maxAttachmentSizeKb: row.max_attachment_size_kb,
    defaultPriority: row.default_priority,
  };
}

const LABELS = {
  tickets: 'ticket',
  categories: 'category',
  contacts: 'contact',
  impacts: 'impact',
  resolutions: 'resolution',
  templates: 'template',
  assignees: 'user or group',
  assets: 'asset',
  ticket_comments: 'comment',
  ticket_costs: 'cost entry',
  ticket_working_times: 'working time',
  ticket_attachments: 'attachment',
  email_monitors: 'email monitor',
  clients: 'client',
} as const;

const TABLES = Object.keys(LABELS) as (keyof typeof LABELS)[];

export interface Reference {
  table: keyof typeof LABELS;
  id: string | null | undefined;
  /** The field path named in the error, e.g. Ticket/CategoryId. */
  field: string;
  /** assignees only: a user (false), a group (true) or either (undefined). */
  isGroup?: boolean;
}

/**
 * Checks several referenced ids in one round trip; throws NotFound (30) for the first one that
 * does not exist, in the order given. Null/undefined ids pass.
 */
export async function requireReferences(db: Knex, refs: Reference[]): Promise<void> {
  const present = refs.filter((r) => r.id);
  if (!present.length) return;
  // Table names come from LABELS, never from input; one prepared statement per list of tables.
  const columns = present.map((r, i) => (r.table === 'assignees' ? `(select is_group from assignees where id = $${i + 1}) as r${i}` : `exists(select 1 from ${r.table} where id = $${i + 1}) as r${i}`));
  const name = `refs_${present.map((r) => TABLES.indexOf(r.table)).join('_')}`;
  const [row] = await preparedQuery<Record<string, boolean | null>>(db, name, `select ${columns.join(', ')}`, present.map((r) => r.id));
  present.forEach((r, i) => {
    const found = row[`r${i}`];
    if (r.table !== 'assignees') {
      if (!found) throw new NotFound(`${r.field}: no ${LABELS[r.table]} with Id ${r.id}`);
    } else if (found === null || (r.isGroup !== undefined && found !== r.isGroup)) {
      throw new NotFound(`${r.field}: no ${r.isGroup === undefined ? 'user or group' : r.isGroup ? 'group' : 'user'} with Id ${r.id}`);
    }
  });
}

/** Throws NotFound (30) naming the field when `id` is not in `table`. Null/undefined pass. */
export async function requireExists(db: Knex, table: Reference['table'], id: string | null | undefined, field: string): Promise<void> {
  await requireReferences(db, [{ table, id, field }]);
}

/** A user (isGroup false), a group (true) or either (undefined) must exist with this Id. */
export async function requireAssignee(db: Knex, id: string | null | undefined, isGroup: boolean | undefined, field: string): Promise<void> {
  await requireReferences(db, [{ table: 'assignees', id, field, isGroup }]);
}
