// One HTTP exchange as the operations side sees it (communication log, metrics, JSON logs).
// The middleware gives every request an id (X-Request-Id) and a trace the core fills in (who
// asked, which commands, which ResultCode); when the answer is sent, each listener gets the whole.
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type pino from 'pino';
import { defaultLogger, type Logger } from './logger';

/** What the core learns while it runs an exchange's commands (PipelineContext.trace). */
export interface ExchangeTrace {
  /** The caller, once resolved (a session's user, or Settings.ApiUserId in open mode). */
  user?: { id: string; name: string };
  /** Each command asked for, as <Command>_V<N>, in document order. */
  commands: string[];
  /** The first failing command's ResultCode, else 0; absent when no command ran. */
  resultCode?: number;
  /** An ICQL answer that went elsewhere than this HTTP answer: a SICS publish's, queued on the bus. */
  answer?: string;
  /** Each command's own ResultCode, in the order of `commands` (a batch's rolled-back ones answer 35). */
  resultCodes?: number[];
}

export type Transport = 'xml' | 'soap' | 'json' | 'sics' | 'http';

export interface Exchange {
  requestId: string;
  startedAt: Date;
  durationMs: number;
  transport: Transport;
  method: string;
  path: string;
  remoteAddress: string;
  status: number;
  trace: ExchangeTrace;
  /** The bodies as sent, when a listener asked for them (ExchangeListener.captureBodies). */
  bodies?: ExchangeBodies;
}

/** Raw bodies, at most `maxCaptureBytes` each; `truncated` when there was more. */
export interface ExchangeBodies {
  request: Buffer;
  requestTruncated: boolean;
  /** The text itself when it was written as one string (most answers): no copy. */
  response: Buffer | string;
  responseTruncated: boolean;
}

export type ExchangeListener = ((exchange: Exchange, req: Request, res: Response) => void) & {
  /** Set by a listener that needs the bodies (the communication log): which paths to capture. */
  captureBodies?: (path: string) => boolean;
  /** The most bytes of the response body kept (default 16 MiB): references to what was written, no copy. */
  maxCaptureBytes?: number;
  /**
   * The most bytes of the raw request kept (default maxCaptureBytes). Only needed when no body
   * parser left the whole body as a Buffer (req.body); kept small, it costs no memory on uploads.
   */
  maxRequestCaptureBytes?: number;
};

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** A client's own request id is kept when it is a plain token; anything else gets a fresh UUID. */
const CLIENT_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The exchange of this request: its id and the trace the transports hand to the core. */
export function exchangeOf(res: Response): { requestId: string; trace: ExchangeTrace } {
  return res.locals.exchange;
}

export function transportOf(path: string): Transport {
  if (path === '/acmp') return 'xml';
  if (path === '/soap') return 'soap';
  if (path.startsWith('/api/v1/')) return 'json';
  if (/^\/(Session|VirtualRouter|Target|Publish|Consume|Ack)(\/|$)/.test(path)) return 'sics';
  return 'http';
}

export function exchangeMiddleware(listeners: ExchangeListener[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const sent = req.get(REQUEST_ID_HEADER);
    const requestId = sent && CLIENT_REQUEST_ID.test(sent) ? sent : randomUUID();
    const startedAt = new Date();
    const start = process.hrtime.bigint();
    const trace: ExchangeTrace = { commands: [] };
    res.locals.exchange = { requestId, trace };
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const capturing = listeners.find((l) => l.captureBodies?.(req.path));
    const max = capturing?.maxCaptureBytes ?? 16 * 1024 * 1024;
    const bodies = capturing
      ? captureBodies(req, res, capturing.maxRequestCaptureBytes ?? max, max)
      : undefined;
    if (listeners.length > 0) {
      res.once('finish', () => {
        const exchange: Exchange = {
          requestId,
          startedAt,
          durationMs: Number(process.hrtime.bigint() - start) / 1e6,
          transport: transportOf(req.path),
          method: req.method,
          path: req.path,
          remoteAddress: req.socket.remoteAddress ?? '',
          status: res.statusCode,
          trace,
          bodies: bodies?.(),
        };
        // An observer's failure never reaches the client, which has its answer already.
        for (const listener of listeners) {
          try {
            listener(exchange, req, res);
          } catch (error) {
            defaultLogger().error({ err: error, requestId }, 'exchange listener failed');
          }
        }
      });
    }
    next();
  };
}

/**
 * Keeps what the request and the response carry, without copying while the exchange runs: the
 * request's chunks are seen as they are emitted (whoever reads the stream, whatever parser), the
 * response's as they are written. A body parser's Buffer (express.raw) is preferred at the end:
 * it is the whole body, already joined.
 */
function captureBodies(
  req: Request,
  res: Response,
  maxRequest: number,
  maxResponse: number,
): () => ExchangeBodies {
  const seen = (): { chunks: (Buffer | string)[]; size: number; truncated: boolean } => ({
    chunks: [],
    size: 0,
    truncated: false,
  });
  const keep = (into: ReturnType<typeof seen>, chunk: unknown, max: number) => {
    if (typeof chunk !== 'string' && !(chunk instanceof Uint8Array)) return;
    const size = typeof chunk === 'string' ? chunk.length : chunk.byteLength; // string: a lower bound of its bytes
    if (into.size + size > max) into.truncated = true;
    else {
      into.chunks.push(
        typeof chunk === 'string'
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      into.size += size;
    }
  };
  const request = seen();
  const response = seen();
  const emit = req.emit;
  req.emit = function (this: Request, event: string | symbol, ...args: unknown[]) {
    if (event === 'data') keep(request, args[0], maxRequest);
    return emit.apply(this, [event, ...args] as Parameters<typeof emit>);
  } as typeof req.emit;
  const write = res.write;
  const end = res.end;
  res.write = function (this: Response, chunk: unknown, ...rest: unknown[]) {
    keep(response, chunk, maxResponse);
    return (write as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
  } as typeof res.write;
  res.end = function (this: Response, chunk?: unknown, ...rest: unknown[]) {
    if (typeof chunk !== 'function') keep(response, chunk, maxResponse);
    return (end as (...a: unknown[]) => Response).apply(this, [chunk, ...rest]);
  } as typeof res.end;
  const joined = (c: ReturnType<typeof seen>) =>
    Buffer.concat(c.chunks.map((x) => (typeof x === 'string' ? Buffer.from(x, 'utf8') : x)));
  return () => {
    const parsed =
      Buffer.isBuffer(req.body) && req.body.length >= request.size ? req.body : undefined;
    return {
      request: parsed ?? joined(request),
      requestTruncated: parsed ? false : request.truncated,
      response:
        response.chunks.length === 1 && typeof response.chunks[0] === 'string'
          ? response.chunks[0]
          : joined(response),
      responseTruncated: response.truncated,
    };
  };
}

/**
 * The transports' Logger for one request: its lines carry the request id (X-Request-Id). Passed
 * by hand rather than through AsyncLocalStorage, which on Node 20 slows every await of every
 * request (about 0.6 µs each, hundreds per command).
 */
export function requestLog(log: Logger, res: Response): Logger {
  const requestId = exchangeOf(res)?.requestId;
  return requestId === undefined ? log : (message, error) => log(message, error, requestId);
}

/** Health checks and scrapes come every few seconds: their lines are debug, everything else info (5xx: error). */
const QUIET_PATHS = new Set(['/health', '/metrics']);

/** One line per finished exchange: who, what, how it ended, how long it took; never a body. */
export function exchangeLogListener(logger: pino.Logger): ExchangeListener {
  return (e) => {
    const level =
      e.status >= 500 ? 'error' : QUIET_PATHS.has(e.path) && e.status < 400 ? 'debug' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    const durationMs = Math.round(e.durationMs * 10) / 10;
    const { commands, resultCode, user } = e.trace;
    const summary = [
      e.method,
      e.path,
      e.status,
      commands.join(','),
      resultCode === undefined ? '' : `ResultCode ${resultCode}`,
      `${durationMs} ms`,
    ]
      .filter((part) => part !== '')
      .join(' ');
    logger[level](
      {
        requestId: e.requestId,
        transport: e.transport,
        method: e.method,
        path: e.path,
        status: e.status,
        commands,
        resultCode,
        durationMs,
        user: user?.name,
        remoteAddress: e.remoteAddress,
      },
      summary,
    );
  };
}
