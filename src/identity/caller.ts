// Who a command runs for (docs/protocol.md §5): the session's user once login exists; today, in open mode,
// the seed's Settings.ApiUserId with every permission. Version-free and free of the wire, so the
// domain and the pipeline can both use it (architecture guide, src/identity/).
import type { Knex } from 'knex';
import { preparedQuery } from '../db/connection';
import { callerCacheOf } from './caller-cache';

/** The per-operation permissions of docs/protocol.md §5. */
export const PERMISSIONS = [
  'TICKET_READ',
  'TICKET_CREATE',
  'TICKET_UPDATE',
  'TICKET_DELETE',
  'SET_STATUS',
  'TICKET_BATCH',
  'ADMIN',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(value: unknown): value is Permission {
  return (PERMISSIONS as readonly unknown[]).includes(value);
}

export interface Caller {
  id: string;
  name: string;
  permissions: ReadonlySet<Permission>;
}

/** The caller of commands that need no permission when nobody was looked up (docs/protocol.md §5: meta commands, login). */
export const ANONYMOUS: Caller = Object.freeze({
  id: '',
  name: 'anonymous',
  permissions: new Set<Permission>(),
});

/** A caller, or how to find it: looked up only for commands that need a permission. */
export type CallerSource = Caller | (() => Promise<Caller>);

/**
 * Open mode (docs/protocol.md §5, authentication mode): the seed's Settings.ApiUserId, holding every
 * permission. One small prepared query, at most once a second when the gateway keeps callers
 * (caller-cache.ts: a reseeded database is heard at once).
 */
export async function openModeCaller(db: Knex): Promise<Caller> {
  const cache = callerCacheOf(db);
  const caller = cache
    ? await cache.get('open mode', () => readOpenModeCaller(db))
    : await readOpenModeCaller(db);
  if (!caller)
    throw new Error('No calling user: the seed file must set Settings.ApiUserId to a user');
  return caller;
}

async function readOpenModeCaller(db: Knex): Promise<Caller | undefined> {
  const [row] = await preparedQuery<{ id: string; name: string }>(
    db,
    'open_mode_caller',
    'select a.id, a.name from settings s join assignees a on a.id = s.api_user_id',
    [],
  );
  return row && { id: row.id, name: row.name, permissions: new Set(PERMISSIONS) };
}
