// LoginAcmpUser_V1 and TokenLoginAcmpUser_V1 (docs/protocol.md §5), in the order the identity store asks for:
// session id -> throttle -> credentials -> failure recorded, or session bound (+ token).
import type { Knex } from 'knex';
import { callerCacheOf } from '../identity/caller-cache';
import { DEFAULT_IDENTITY_LIMITS, type IdentityLimits } from '../identity/limits';
import { verifyAgainstNothing } from '../identity/passwords';
import { bindSession, isValidSessionId } from '../identity/sessions';
import { clearLoginFailures, loginLockedUntil, recordLoginFailure } from '../identity/throttle';
import { createToken } from '../identity/tokens';
import { InvalidRequest, LoginRefused } from '../vocabulary/errors';

export type LoginAnswer = {
  LoginResult: 'Successful';
  Token?: string;
};

/**
 * Logs `userName` in when `check` finds its user id. A locked name is answered like wrong
 * credentials without checking (and after a dummy password check, so it takes as long).
 * Nothing of the request (password hash, token) ever goes into a message or the log.
 */
export async function login(
  db: Knex,
  userName: string,
  sessionId: string,
  createTokenToo: boolean,
  check: () => Promise<string | undefined>,
  equalTime: () => Promise<unknown> = async () => undefined,
  limits: IdentityLimits = DEFAULT_IDENTITY_LIMITS,
): Promise<LoginAnswer> {
  if (!isValidSessionId(sessionId)) {
    throw new InvalidRequest(
      'SessionId must be 32 to 200 characters from A-Z, a-z, 0-9, -, _, { and } (for example a GUID in braces)',
    );
  }
  if (await loginLockedUntil(db, userName)) {
    await equalTime();
    throw new LoginRefused();
  }
  const userId = await check();
  if (userId === undefined) {
    await recordLoginFailure(db, userName);
    throw new LoginRefused();
  }
  // One transaction: a login answered 19 bound no session and made no token (docs/protocol.md §3).
  const token = await db.transaction(async (trx) => {
    await clearLoginFailures(trx, userName);
    if (!(await bindSession(trx, sessionId, userId, limits.session))) {
      throw new InvalidRequest(
        "SessionId is in use by another user's session; start a new session (a new SessionId) and log in again",
      );
    }
    return createTokenToo ? (await createToken(trx, userId, limits.tokenLifetimeMs)).token : '';
  });
  // The id may have changed hands: no request here may act as its old user (bindSession clears
  // the cache only when given the pool, and only the commit makes the change real).
  callerCacheOf(db)?.clear();
  if (!createTokenToo) return { LoginResult: 'Successful' };
  return { LoginResult: 'Successful', Token: token };
}

export const dummyPasswordCheck = (passwordHash: string) => () =>
  verifyAgainstNothing(passwordHash);
