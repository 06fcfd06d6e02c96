// Login tokens (docs/protocol.md §5, TokenLoginAcmpUser): 128 random bits shown once, as hex, when
// created; only their SHA-256 is stored. A token expires (default 30 days) and can be revoked.

import { createHash, randomBytes } from 'node:crypto';
import type { Knex } from 'knex';

export const DEFAULT_TOKEN_LIFETIME_MS = 30 * 24 * 3_600_000;

export interface TokenInfo {
  id: string;
  created: Date;
  expires: Date;
  revoked: Date | null;
}

// SHA-256 is enough here (unlike passwords): the token is 128 random bits, nothing to guess.
const hashToken = (token: string) =>
  createHash('sha256').update(token.toLowerCase(), 'utf8').digest('hex');

/** A new token for the user: `token` (hex) is the only time the plain token exists. */
export async function createToken(
  db: Knex,
  userId: string,
  lifetimeMs = DEFAULT_TOKEN_LIFETIME_MS,
): Promise<{ id: string; token: string; expires: Date }> {
  const token = randomBytes(16).toString('hex');
  const [row] = await db('tokens')
    .insert({
      user_id: userId,
      token_hash: hashToken(token),
      expires_at: db.raw(`now() + ?::interval`, [`${Math.round(lifetimeMs)} milliseconds`]),
    })
    .returning(['id', 'expires_at']);
  return { id: row.id, token, expires: row.expires_at };
}

/** True when `token` is a live token (not expired, not revoked) of user `userId`, and that user is not disabled. */
export async function verifyToken(db: Knex, userId: string, token: string): Promise<boolean> {
  if (!/^[0-9a-fA-F]{32,128}$/.test(token)) return false;
  const row = await db('tokens as t')
    .join('assignees as a', 'a.id', 't.user_id')
    .first('t.id')
    .where({ 't.token_hash': hashToken(token), 't.user_id': userId, 'a.disabled': false })
    .whereNull('t.revoked_at')
    .where('t.expires_at', '>', db.fn.now());
  return !!row;
}

/** The user's tokens, newest first (never the token itself: it is not stored). */
export async function listTokens(db: Knex, userId: string): Promise<TokenInfo[]> {
  const rows = await db('tokens')
    .select('id', 'created_at', 'expires_at', 'revoked_at')
    .where({ user_id: userId })
    .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]);
  return rows.map((r) => ({
    id: r.id,
    created: r.created_at,
    expires: r.expires_at,
    revoked: r.revoked_at,
  }));
}

/** Revokes one token of the user (`tokenId`) or all of them; returns how many were revoked now. */
export async function revokeTokens(db: Knex, userId: string, tokenId?: string): Promise<number> {
  const query = db('tokens').where({ user_id: userId }).whereNull('revoked_at');
  if (tokenId !== undefined) query.where({ id: tokenId });
  return query.update({ revoked_at: db.fn.now() });
}
