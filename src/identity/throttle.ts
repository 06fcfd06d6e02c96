// Login throttling (docs/protocol.md §5): after `maxFailures` failed logins for one user name within
// `windowMs`, that name is locked for `lockMs` from the last of them (answered like wrong
// credentials). Counted per name as sent, lower-cased, whether or not such a user exists, so
// that a lock tells nothing about which names exist. Times are the database's clock.
import type { Knex } from 'knex';

export interface ThrottleLimits {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export const DEFAULT_THROTTLE_LIMITS: ThrottleLimits = {
  maxFailures: 5,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
};

const key = (userName: string) => userName.trim().toLowerCase();
const interval = (ms: number) => `${Math.round(ms)} milliseconds`;

/** Remembers one failed login for `userName`, and forgets its failures too old to matter. */
export async function recordLoginFailure(
  db: Knex,
  userName: string,
  limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('login_failures').insert({ user_key: key(userName) });
    await trx('login_failures')
      .where({ user_key: key(userName) })
      .whereRaw('at < now() - ?::interval', [interval(limits.windowMs + limits.lockMs)])
      .delete();
  });
}

/**
 * Until when `userName` is locked, or undefined when it may try to log in. Locked: some
 * `maxFailures` consecutive failures lie within `windowMs`, the last of them less than
 * `lockMs` ago. A login slice checks this first and, while locked, neither verifies the
 * password nor records a failure, so that the lock ends on time.
 */
export async function loginLockedUntil(
  db: Knex,
  userName: string,
  limits: ThrottleLimits = DEFAULT_THROTTLE_LIMITS,
): Promise<Date | undefined> {
  const result = await db.raw(
    `select max(at) + :lock::interval as until from (
       select at, lag(at, :back) over (order by at) as first from login_failures
       where user_key = :key and at > now() - :span::interval
     ) f
     where first is not null and at - first <= :window::interval
     having max(at) + :lock::interval > now()`,
    {
      key: key(userName),
      back: limits.maxFailures - 1,
      span: interval(limits.windowMs + limits.lockMs),
      window: interval(limits.windowMs),
      lock: interval(limits.lockMs),
    },
  );
  return result.rows[0]?.until;
}

/** Forgets the name's failures (after a successful login). */
export async function clearLoginFailures(db: Knex, userName: string): Promise<void> {
  await db('login_failures')
    .where({ user_key: key(userName) })
    .delete();
}
