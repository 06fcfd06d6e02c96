// Sessions (docs/protocol.md §5): a session id, chosen by the caller, bound to one user. Kept in
// PostgreSQL so that every gateway instance on the database knows them; times are the
// database's clock (now()), the one clock all instances share.
import type { Knex } from 'knex';
import { preparedQuery } from '../db/connection';
import { callerCacheOf } from './caller-cache';
import { permissionsColumn, type UserCaller } from './users';

/** The header real SICS clients send their session in (docs/protocol.md §5). */
export const SESSION_HEADER = 'X-SICS-SESSION';

/** The optional SOAP header that may carry the session instead of X-SICS-SESSION (docs/protocol.md §5). */
export const SESSION_HEADER_ELEMENT = 'SessionId';

export interface SessionLimits {
  /** A session unused this long has ended. Default 30 minutes. */
  idleMs: number;
  /** A session ends this long after it was bound, however much it is used. Default 12 hours. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  idleMs: 30 * 60_000,
  absoluteMs: 12 * 3_600_000,
};

/** docs/protocol.md §5: at least 32 characters from [A-Za-z0-9-_{}]. */
export function isValidSessionId(id: string): boolean {
  return /^[A-Za-z0-9_{}-]{32,200}$/.test(id);
}

const interval = (ms: number) => `${Math.round(ms)} milliseconds`;

/**
 * Binds session `id` to user `userId` (after a successful login). Logging in again on one's own
 * session, or on a session that has ended, starts it afresh; false, and nothing changed, when
 * the id is bound to another user in a session that is still alive.
 */
export async function bindSession(
  db: Knex,
  id: string,
  userId: string,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): Promise<boolean> {
  const result = await db.raw(
    `insert into sessions (id, user_id, created_at, last_seen, ends_at) values (:id, :userId, now(), now(), now() + :absolute::interval)
     on conflict (id) do update set user_id = excluded.user_id, created_at = excluded.created_at, last_seen = excluded.last_seen, ends_at = excluded.ends_at
       where sessions.user_id = excluded.user_id or sessions.ends_at <= now() or sessions.last_seen <= now() - :idle::interval
     returning id`,
    { id, userId, absolute: interval(limits.absoluteMs), idle: interval(limits.idleMs) },
  );
  callerCacheOf(db)?.clear(); // the id may have changed hands: no request here may act as its old user
  return result.rows.length === 1;
}

/**
 * How stale `last_seen` may get before a request writes it again: a session in use costs a read
 * (at most one a second with the caller cache), not a write, and still ends within this much of
 * its idle time.
 */
export const touchEveryMs = (limits: SessionLimits) => Math.min(30_000, limits.idleMs / 10);

/**
 * The user of session `id`, as a caller with its permissions, when the session is alive (used
 * within the idle time, before its end, its user not disabled), and marks it used (at most
 * every touchEveryMs); undefined for a missing, unknown or ended session. One statement, or
 * none when the gateway's CallerCache read it within the last second (caller-cache.ts).
 */
export function sessionCaller(
  db: Knex,
  id: string,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): Promise<UserCaller | undefined> {
  const cache = callerCacheOf(db);
  if (!cache) return readSessionCaller(db, id, limits);
  // The limits are part of the key: gateways on one pool may end sessions at different times.
  return cache.get(`session ${id} ${limits.idleMs} ${limits.absoluteMs}`, () =>
    readSessionCaller(db, id, limits),
  );
}

async function readSessionCaller(
  db: Knex,
  id: string,
  limits: SessionLimits,
): Promise<UserCaller | undefined> {
  // Prepared: every request with a session that is not in memory runs it.
  const [row] = await preparedQuery<UserCaller>(
    db,
    'session_caller',
    `with live as (
       select a.id, a.name, ${permissionsColumn}
       from sessions s join assignees a on a.id = s.user_id
       where s.id = $1 and not a.disabled and not a.is_group and s.ends_at > now() and s.last_seen > now() - $2::interval
     ), touched as (
       update sessions set last_seen = now()
       where id = $1 and last_seen < now() - $3::interval and exists (select 1 from live)
     )
     select id, name, permissions from live`,
    [id, interval(limits.idleMs), interval(touchEveryMs(limits))],
  );
  return row && { id: row.id, name: row.name, permissions: row.permissions };
}

/** The id of session `id`'s user when the session is alive (see sessionCaller). */
export async function sessionUser(
  db: Knex,
  id: string,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): Promise<string | undefined> {
  return (await sessionCaller(db, id, limits))?.id;
}

/** Ends session `id` (logout). */
export async function endSession(db: Knex, id: string): Promise<void> {
  await db('sessions').where({ id }).delete();
  callerCacheOf(db)?.clear(); // at once here; the other processes hear the notification
}
