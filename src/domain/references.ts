// Lookups of referenced ids (ResultCode 30 when one does not exist) and of the settings.
import type { Knex } from 'knex';
import { preparedQuery } from '../db/connection';
import { NotFound } from '../vocabulary/errors';

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
  if (!row)
    throw new Error(
      'The settings row is missing: load a seed file (npm run seed -- fixtures/seed/demo.json)',
    );
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
  const check = referenceCheck(refs, 1);
  if (!check.columns.length) return;
  const [row] = await preparedQuery<Record<string, boolean | null>>(
    db,
    `refs_${check.name}`,
    `select ${check.columns.join(', ')}`,
    check.values,
  );
  check.verify(row);
}

/**
 * The SQL of a reference check, to run alone (requireReferences) or inside another statement
 * (a ticket create checks its references in its INSERT: one round trip). `columns` select r0, r1 …
 * with parameters from $`first` on; `allFound` is a boolean expression over them (each r<i> must
 * be in scope) that holds when every id exists; `verify` throws the first one's NotFound.
 */
export function referenceCheck(
  refs: Reference[],
  first: number,
): {
  name: string;
  columns: string[];
  allFound: string;
  values: unknown[];
  verify(row: Record<string, unknown>): void;
} {
  const present = refs.filter((r) => r.id);
  const values: unknown[] = [];
  const param = (value: unknown, type: string) => {
    values.push(value);
    return `$${first + values.length - 1}::${type}`;
  };
  // Table names come from LABELS, never from input.
  const columns: string[] = [];
  const found: string[] = [];
  present.forEach((r, i) => {
    if (r.table === 'assignees') {
      columns.push(`(select is_group from assignees where id = ${param(r.id, 'uuid')}) as r${i}`);
      // A user (false), a group (true) or either: a literal, so the statement's name says which.
      found.push(r.isGroup === undefined ? `r${i} is not null` : `r${i} is ${r.isGroup}`);
    } else {
      columns.push(`exists(select 1 from ${r.table} where id = ${param(r.id, 'uuid')}) as r${i}`);
      found.push(`r${i}`);
    }
  });
  return {
    name: present
      .map(
        (r) =>
          `${TABLES.indexOf(r.table)}${r.table !== 'assignees' || r.isGroup === undefined ? '' : r.isGroup ? 'g' : 'u'}`,
      )
      .join('_'),
    columns,
    allFound: found.length ? found.join(' and ') : 'true',
    values,
    verify(row) {
      present.forEach((r, i) => {
        const value = row[`r${i}`];
        if (r.table !== 'assignees') {
          if (!value) throw new NotFound(`${r.field}: no ${LABELS[r.table]} with Id ${r.id}`);
        } else if (value === null || (r.isGroup !== undefined && value !== r.isGroup)) {
          throw new NotFound(
            `${r.field}: no ${r.isGroup === undefined ? 'user or group' : r.isGroup ? 'group' : 'user'} with Id ${r.id}`,
          );
        }
      });
    },
  };
}

/** Throws NotFound (30) naming the field when `id` is not in `table`. Null/undefined pass. */
export async function requireExists(
  db: Knex,
  table: Reference['table'],
  id: string | null | undefined,
  field: string,
): Promise<void> {
  await requireReferences(db, [{ table, id, field }]);
}

/** A user (isGroup false), a group (true) or either (undefined) must exist with this Id. */
export async function requireAssignee(
  db: Knex,
  id: string | null | undefined,
  isGroup: boolean | undefined,
  field: string,
): Promise<void> {
  await requireReferences(db, [{ table: 'assignees', id, field, isGroup }]);
}
