// Sessions (protocol.md §5): a session id, chosen by the caller, bound to one user. Kept in
// PostgreSQL so that every gateway instance on the database knows them; times are the
// database's clock (now()), the one clock all instances share.
import type { Knex } from 'knex';

export interface SessionLimits {
  /** A session unused this long has ended. Default 30 minutes. */
  idleMs: number;
  /** A session ends this long after it was bound, however much it is used. Default 12 hours. */
  absoluteMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 };

/** protocol.md §5: at least 32 characters from [A-Za-z0-9-_{}]. */
export function isValidSessionId(id: string): boolean {
  return /^[A-Za-z0-9_{}-]{32,200}$/.test(id);
}

const interval = (ms: number) => `${Math.round(ms)} milliseconds`;

/**
 * Binds session `id` to user `userId` (after a successful login). Logging in again on one's own
 * session, or on a session that has ended, starts it afresh; false, and nothing changed, when
 * the id is bound to another user in a session that is still alive.
 */
export async function bindSession(db: Knex, id: string, userId: string, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Promise<boolean> {
  const result = await db.raw(
    `insert into sessions (id, user_id, created_at, last_seen, ends_at) values (:id, :userId, now(), now(), now() + :absolute::interval)
     on conflict (id) do update set user_id = excluded.user_id, created_at = excluded.created_at, last_seen = excluded.last_seen, ends_at = excluded.ends_at
       where sessions.user_id = excluded.user_id or sessions.ends_at <= now() or sessions.last_seen <= now() - :idle::interval
     returning id`,
    { id, userId, absolute: interval(limits.absoluteMs), idle: interval(limits.idleMs) },
  );
  return result.rows.length === 1;
}

/**
 * The user of session `id` when the session is alive (used within the idle time, before its
 * end, its user not disabled), and marks it used now; undefined for a missing, unknown or
 * ended session.
 */
export async function sessionUser(db: Knex, id: string, limits: SessionLimits = DEFAULT_SESSION_LIMITS): Promise<string | undefined> {
  const result = await db.raw(
    `update sessions s set last_seen = now() from assignees a
     where s.id = :id and a.id = s.user_id and not a.disabled and s.ends_at > now() and s.last_seen > now() - :idle::interval
     returning s.user_id`,
    { id, idle: interval(limits.idleMs) },
  );
  return result.rows[0]?.user_id;
}

/** Ends session `id` (logout). */
export async function endSession(db: Knex, id: string): Promise<void> {
  await db('sessions').where({ id }).delete();
}

