// Optional request limits per client address and per session (ACMP_RATE_LIMIT_*), counted in
// PostgreSQL so that every gateway process on one database shares them. A refused request gets
// 429, Retry-After and ResultCode 35 in its transport's framing; /health is never limited.
import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Knex } from 'knex';
import { isLoopback, type RateLimits } from '../config';
import { SESSION_HEADER } from '../identity/sessions';
import { exchangeOf, type Transport, transportOf } from '../observability/exchange';
import type { Logger } from '../observability/logger';
import { ResultCode } from '../vocabulary/result-codes';

/** Writes a refusal's body in a transport's framing; status, Retry-After and X-ACMP-Result-Code are set. */
export type FrameRefusal = (
  req: Request,
  res: Response,
  resultCode: number,
  message: string,
) => void;

/**
 * What the limiter needs of the transports, handed in by the app (which knows them): how each
 * frames a refusal, and how to find the session a SOAP body carries in its SessionId header.
 */
export interface TransportFraming {
  refusals: Partial<Record<Transport, FrameRefusal>>;
  soapSession(body: Buffer): string | undefined;
}

/**
 * A fixed window counter per key in the table rate_limits: one upsert per request. Windows are
 * aligned to the database clock (multiples of the window since the epoch), so every process
 * agrees on them; rows of windows that ended a window ago are deleted now and then, by whichever
 * process is counting.
 */
export class PostgresStore implements Store {
  /** Counts are shared with the other gateway processes on this database. */
  localKeys = false;
  private cleanedAt = Date.now();

  constructor(
    private readonly db: Knex,
    readonly prefix: string,
    private readonly windowSeconds: number,
  ) {}

  async increment(key: string): Promise<{ totalHits: number; resetTime: Date }> {
    this.cleanExpired();
    const w = this.windowSeconds; // a validated whole number, written into the statement as such
    const { rows } = await this.db.raw(
      `insert into rate_limits as r (key, hits, window_ends)
         values (?, 1, to_timestamp((floor(extract(epoch from clock_timestamp()) / ${w}) + 1) * ${w}))
       on conflict (key) do update
         -- a statement that waited for the row's lock may carry an older window than the row: keep the newer
         set hits = case when excluded.window_ends > r.window_ends then 1 else r.hits + 1 end,
             window_ends = greatest(r.window_ends, excluded.window_ends)
       returning hits, extract(epoch from window_ends - clock_timestamp()) * 1000 as ms_left`,
      [this.prefix + key],
    );
    // The window's end on this process's clock, whatever the database server's clock says.
    return { totalHits: rows[0].hits, resetTime: new Date(Date.now() + Number(rows[0].ms_left)) };
  }

  async decrement(key: string): Promise<void> {
    await this.db.raw('update rate_limits set hits = hits - 1 where key = ? and hits > 0', [
      this.prefix + key,
    ]);
  }

  async resetKey(key: string): Promise<void> {
    await this.db.raw('delete from rate_limits where key = ?', [this.prefix + key]);
  }

  /** At most once a window per process, off the request's path. */
  private cleanExpired(): void {
    if (Date.now() - this.cleanedAt < this.windowSeconds * 1000) return;
    this.cleanedAt = Date.now();
    // Only rows a window past their end: a key counting again right now is not raced (its upsert starts it anew).
    this.db
      .raw(
        `delete from rate_limits where window_ends < clock_timestamp() - interval '${this.windowSeconds} seconds'`,
      )
      .catch(() => {}); // the next one will do
  }
}

/** The limiters for the settings, or none when neither limit is set. */
export function rateLimiters(
  db: Knex,
  limits: RateLimits | undefined,
  bodyLimit: string,
  log: Logger,
  framing: TransportFraming,
): RequestHandler[] {
  if (!limits || (!limits.perAddress && !limits.perSession)) return [];
  // Loopback clients (the machine itself: tests, tools, a local proxy) are exempt unless asked for.
  const exempt = (req: Request) =>
    req.path === '/health' || (!limits.loopback && isLoopback(req.socket.remoteAddress ?? ''));
  const limiter = (
    prefix: string,
    limit: number,
    what: string,
    key: (req: Request) => string | undefined,
  ) =>
    rateLimit({
      windowMs: limits.windowSeconds * 1000,
      limit,
      store: new PostgresStore(db, prefix, limits.windowSeconds),
      keyGenerator: (req) => key(req) ?? '',
      skip: (req) => exempt(req) || key(req) === undefined,
      standardHeaders: false,
      legacyHeaders: false,
      // Without the database the command itself answers 19; the limiter never refuses for it.
      passOnStoreError: true,
      logger: { warn: (m) => log(String(m)), error: (m) => log('rate limit store failed', m) },
      handler: (req, res) => refuse(framing, req, res, limit, what, limits.windowSeconds),
    });
  const handlers: RequestHandler[] = [];
  if (limits.perAddress)
    handlers.push(
      limiter('a:', limits.perAddress, 'from this address', (req) =>
        ipKeyGenerator(req.ip ?? req.socket.remoteAddress ?? ''),
      ),
    );
  if (limits.perSession) {
    // The SOAP SessionId header is in the body: read it here (the SOAP route then finds it read).
    const soapBody = express.raw({ type: () => true, limit: bodyLimit });
    handlers.push((req, res, next) =>
      req.method === 'POST' && req.path === '/soap' ? soapBody(req, res, next) : next(),
    );
    handlers.push(
      limiter('s:', limits.perSession, 'with this session', (req) => sessionKey(req, framing)),
    );
  }
  return handlers;
}

/** A hash of the session the request carries (never the session itself in the table), if any. */
function sessionKey(req: Request, framing: TransportFraming): string | undefined {
  const session =
    req.get(SESSION_HEADER)?.trim() ||
    (Buffer.isBuffer(req.body) && req.path === '/soap' ? framing.soapSession(req.body) : undefined);
  return session ? createHash('sha256').update(session).digest('base64url') : undefined;
}

/** 429 with Retry-After and ResultCode 35, framed as the transport frames its refusals. */
function refuse(
  framing: TransportFraming,
  req: Request,
  res: Response,
  limit: number,
  what: string,
  windowSeconds: number,
): void {
  const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
  const resetAt = resetTime?.getTime() ?? Date.now() + windowSeconds * 1000;
  const seconds = Math.max(1, Math.ceil((resetAt - Date.now()) / 1000));
  const at = new Date(resetAt).toISOString().replace(/\.\d+Z$/, 'Z');
  const message = `Too many requests ${what}: at most ${limit} in ${windowSeconds} s. Retry after ${seconds} s (at ${at}); nothing was run`;
  const trace = exchangeOf(res)?.trace;
  if (trace) trace.resultCode = ResultCode.InvalidRequest;
  res.status(429).setHeader('Retry-After', String(seconds));
  res.setHeader('X-ACMP-Result-Code', String(ResultCode.InvalidRequest));
  const frame = framing.refusals[transportOf(req.path)] ?? jsonRefusal;
  frame(req, res, ResultCode.InvalidRequest, message);
}

/** Outside the transports (the console, /metrics): the JSON transport's shape. */
const jsonRefusal: FrameRefusal = (_req, res, resultCode, message) =>
  res.json({ ResultCode: resultCode, ResultMessage: message });
