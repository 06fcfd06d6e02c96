// Which database throwables mean what on the wire (docs/protocol.md §3). Only an unreachable, stopping, hung
// or exhausted database is 19 "try again later"; a deadlock or serialization failure is worth
// running the command again; any other SQLSTATE is a gateway bug (input must be refused with 35
// before it reaches SQL) and answers 18, so that clients do not retry it forever. A 19 means
// nothing was changed, except when the database stopped answering a COMMIT it had been sent
// (lostWhileCommitting): then nobody here can know, and the answer says so.

/** Driver (Node socket) errors while connecting to or talking with PostgreSQL. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

/** pg's own messages for a lost, closed, or too slow connection (they carry no code). */
const CONNECTION_MESSAGES =
  /Connection terminated|connection ended|Client has encountered a connection error|Client was closed and is not queryable|timeout exceeded when trying to connect|^timeout expired$|Query read timeout/i;

/** The message pg gives a query that outlived `query_timeout` (connection.ts). */
export const QUERY_TIMEOUT_MESSAGE = 'Query read timeout';

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** 19: the database cannot be reached, is shutting down or starting, is out of resources, or hangs. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (e.name === 'KnexTimeoutError') return true; // no connection could be had in time
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  const state = sqlState(error);
  if (state) {
    // 08 connection exception, 53 insufficient resources, 57P01-57P05 shutdown / cannot connect
    // now / database dropped / idle timeout, 57014 a server-side statement timeout.
    return /^(08|53)/.test(state) || /^57P0[1-5]$/.test(state) || state === '57014';
  }
  return typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}

/** A deadlock (40P01) or serialization failure (40001): the transaction was rolled back and may simply be run again. */
export function isRetryableConflict(error: unknown): boolean {
  const state = sqlState(error);
  return state === '40P01' || state === '40001';
}

/** pg refused the query before sending it: the connection was gone already. */
const NOT_SENT = /is not queryable/;

/**
 * True when `error`, the failure of a COMMIT, may have come after PostgreSQL committed: no answer
 * came (timeout, connection lost or terminated) although the COMMIT was sent. A COMMIT refused
 * before it was sent, or answered with an error of its own (a deferred constraint, a
 * serialization failure), committed nothing.
 */
export function lostWhileCommitting(error: unknown): boolean {
  if (!isDatabaseUnavailable(error)) return false;
  const message = (error as { message?: unknown }).message;
  if (typeof message === 'string' && NOT_SENT.test(message)) return false;
  const state = sqlState(error);
  return state === undefined || /^(08|57P0)/.test(state);
}

const OUTCOME_UNKNOWN = Symbol('acmp:commit-outcome-unknown');

/** Notes on `error` that it ended a COMMIT whose outcome is unknown (connection.ts). */
export function markCommitOutcomeUnknown(error: unknown): void {
  if (error && typeof error === 'object')
    (error as { [OUTCOME_UNKNOWN]?: true })[OUTCOME_UNKNOWN] = true;
}

/** 19, outcome unknown: the database stopped answering while it was committing this command's transaction. */
export function isCommitOutcomeUnknown(error: unknown): boolean {
  return !!error && typeof error === 'object' && OUTCOME_UNKNOWN in error;
}
