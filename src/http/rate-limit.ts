// Optional request limits per client address and per session (ACMP_RATE_LIMIT_*), counted in
// PostgreSQL so that every gateway process on one database shares them. A refused request gets
// 429, Retry-After and ResultCode 35 in its transport's framing; /health is never limited.
import { createHash } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import type { Knex } from 'knex';
import { isLoopback, type RateLimits } from '../config';
import { exchangeOf, transportOf } from '../observability/exchange';
import { writeErrorEnvelope } from '../protocol/envelope';
import type { Logger } from '../protocol/process-command';
import { ResultCode } from '../protocol/result-codes';
import { faultOfAnswer, MEDIA_TYPE, writeFault } from '../transports/soap/faults';
import { versionByMediaType } from '../transports/soap/route';
import { SESSION_HEADER_ELEMENT } from '../transports/soap/wsdl';
import { SESSION_HEADER } from './acmp-route';

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
      handler: (req, res) => refuse(req, res, limit, what, limits.windowSeconds),
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
    handlers.push(limiter('s:', limits.perSession, 'with this session', sessionKey));
  }
  return handlers;
}

/** A hash of the session the request carries (never the session itself in the table), if any. */
function sessionKey(req: Request): string | undefined {
  const session =
    req.get(SESSION_HEADER)?.trim() ||
    (Buffer.isBuffer(req.body) && req.path === '/soap' ? soapSession(req.body) : undefined);
  return session ? createHash('sha256').update(session).digest('base64url') : undefined;
}

const SOAP_SESSION = new RegExp(
  `<(?:[\\w.-]+:)?${SESSION_HEADER_ELEMENT}\\b[^>]*>\\s*([^<\\s]+)\\s*</`,
);
const SOAP_BODY = /<(?:[\w.-]+:)?Body[\s>]/;

/** The SessionId SOAP header's text: looked for before the Body only (the envelope is read properly later). */
function soapSession(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  const bodyAt = text.search(SOAP_BODY);
  return SOAP_SESSION.exec(bodyAt < 0 ? text : text.slice(0, bodyAt))?.[1];
}

/** 429 with Retry-After and ResultCode 35, framed as the transport frames its refusals. */
function refuse(
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
  const transport = transportOf(req.path);
  if (
    transport === 'xml' &&
    req.accepts(['text/xml', 'application/xml', 'application/json']) !== 'application/json'
  ) {
    res
      .setHeader('Content-Type', 'text/xml; charset=utf-8')
      .end(writeErrorEnvelope(ResultCode.InvalidRequest, message));
  } else if (transport === 'soap') {
    const version = versionByMediaType(req);
    res
      .setHeader('Content-Type', `${MEDIA_TYPE[version]}; charset=utf-8`)
      .end(writeFault(faultOfAnswer(ResultCode.InvalidRequest, message), version).xml);
  } else if (transport === 'sics') {
    res.json({ ErrorCode: ResultCode.InvalidRequest, Error: message });
  } else {
    res.json({ ResultCode: ResultCode.InvalidRequest, ResultMessage: message });
  }
}
