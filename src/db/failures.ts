// Which throwables mean "the database is unreachable or failed" (ResultCode 19, spec §3).
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

export function isDatabaseFailure(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (e.name === 'KnexTimeoutError') return true; // no connection could be had in time
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || /^[0-9A-Z]{5}$/.test(e.code))) return true; // SQLSTATE
  return typeof e.message === 'string' && /Connection terminated|connection ended|Client has encountered a connection error/i.test(e.message);
}
