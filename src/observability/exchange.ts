// One HTTP exchange as the operations side sees it (communication log, metrics, JSON logs).
// The middleware gives every request an id (X-Request-Id) and a trace the core fills in (who
// asked, which commands, which ResultCode); when the answer is sent, each listener gets the whole.
import { randomUUID } from 'crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { defaultLogger } from './logger';

/** What the core learns while it runs an exchange's commands (PipelineContext.trace). */
export interface ExchangeTrace {
  /** The caller, once resolved (a session's user, or Settings.ApiUserId in open mode). */
  user?: { id: string; name: string };
  /** Each command asked for, as <Command>_V<N>, in document order. */
  commands: string[];
  /** The first failing command's ResultCode, else 0; absent when no command ran. */
  resultCode?: number;
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
}

export type ExchangeListener = (exchange: Exchange, req: Request, res: Response) => void;

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
  if (/^\/(Session|VirtualRouter|Target|Publish|Consume)(\/|$)/.test(path)) return 'sics';
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
