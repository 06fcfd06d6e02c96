// Lookups of referenced ids (ResultCode 30 when one does not exist) and of the settings.
import type { Knex } from 'knex';
import { NotFound } from '../protocol/errors';

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

export interface Caller {
  id: string;
  name: string;
}

/** The user the gateway acts for: the seed's Settings.ApiUserId (until sessions exist). */
export async function getCaller(db: Knex): Promise<Caller> {
  const row = await db('settings as s').join('assignees as a', 'a.id', 's.api_user_id').first('a.id', 'a.name');
  if (!row) throw new Error('No calling user: the seed file must set Settings.ApiUserId to a user');
  return row;
}

const LABELS: Record<string, string> = {
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
};

/** Throws NotFound (30) naming the field when `id` is not in `table`. Null/undefined pass. */
export async function requireExists(db: Knex, table: string, id: string | null | undefined, field: string): Promise<void> {
  if (!id) return;
  const row = await db(table).first(db.raw('1 as found')).where({ id });
  if (!row) throw new NotFound(`${field}: no ${LABELS[table] ?? table} with Id ${id}`);
}

/** A user (isGroup false), a group (true) or either (undefined) must exist with this Id. */
export async function requireAssignee(db: Knex, id: string | null | undefined, isGroup: boolean | undefined, field: string): Promise<void> {
  if (!id) return;
  const row = await db('assignees').first('is_group').where({ id });
  if (!row || (isGroup !== undefined && row.is_group !== isGroup)) {
    throw new NotFound(`${field}: no ${isGroup === undefined ? 'user or group' : isGroup ? 'group' : 'user'} with Id ${id}`);
  }
}
