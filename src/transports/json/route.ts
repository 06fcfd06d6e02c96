// POST /api/v1/commands/<Command>_V<N>, POST /api/v1/batch and GET /openapi.json: the JSON
// transport of docs/protocol.md §8.4 and the JSON batch of §8.5, a thin adapter around the core. The core
// validates with the same schemas, decides the caller and maps errors; this file only turns JSON
// framing into command calls and outcomes back into JSON.
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { contentType, isUtf8Charset } from '../../http/body';
import { SESSION_HEADER } from '../../identity/sessions';
import { exchangeOf, requestLog } from '../../observability/exchange';
import type { Logger } from '../../observability/logger';
import { MAX_COMMANDS } from '../../protocol/envelope';
import {
  type CommandCall,
  type CommandOutcome,
  documentResultCode,
  outcomeJson,
  type PipelineContext,
  runCommand,
  runCommands,
} from '../../protocol/process-command';
import { ResultCode } from '../../vocabulary/result-codes';
import { openApiDocument } from './openapi';

const COMMAND_KEY = /^([A-Za-z]\w*)_V(\d+)$/;

/** A request the JSON framing itself refuses (not JSON, wrong shape): HTTP status and a message. */
class FramingError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function jsonRouter(ctx: PipelineContext, bodyLimit: string, baseLog: Logger): Router {
  const router = Router();
  const readBody = [checkMediaType, express.raw({ type: () => true, limit: bodyLimit })];
  let openapi: string | undefined;

  router.get('/openapi.json', (_req, res) => {
    openapi ??= JSON.stringify(openApiDocument(ctx.registry), null, 2); // built once, on first use
    res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(openapi);
  });

  router.post('/api/v1/commands/:key', ...readBody, async (req: Request, res: Response) => {
    const log = requestLog(baseLog, res);
    try {
      const call = commandCall(req.params.key, parseJson(req.body));
      const outcome = await runCommand(
        call,
        { ...ctx, session: sessionOf(req), trace: exchangeOf(res)?.trace },
        log,
      );
      // A command the gateway does not serve is a missing resource; any command answer is 200 (as ICQL).
      send(res, outcome.command ? 200 : 404, outcome.resultCode, outcomeJson(outcome));
    } catch (error) {
      refuse(res, error, log);
    }
  });

  router.post('/api/v1/batch', ...readBody, async (req: Request, res: Response) => {
    const log = requestLog(baseLog, res);
    try {
      const calls = batchCalls(parseJson(req.body));
      const pipeline = { ...ctx, session: sessionOf(req), trace: exchangeOf(res)?.trace };
      // One command is a plain call, as an ICQL document with one command: TICKET_BATCH is for several.
      const outcomes =
        calls.length === 1
          ? [await runCommand(calls[0], pipeline, log)]
          : await runCommands(calls, pipeline, log);
      send(res, 200, documentResultCode(outcomes), batchJson(calls, outcomes));
    } catch (error) {
      refuse(res, error, log);
    }
  });

  router.all(['/api/v1/commands/:key', '/api/v1/batch'], (_req, res) => {
    res.setHeader('Allow', 'POST');
    send(res, 405, ResultCode.InvalidRequest, problem('Send commands with POST and a JSON body'));
  });
  // Body parser failures (too large, aborted) still get a JSON answer.
  router.use(
    ['/api/v1/commands/:key', '/api/v1/batch'],
    (err: { type?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      if (err.type === 'entity.too.large')
        return send(
          res,
          413,
          ResultCode.InvalidRequest,
          problem(`The request is larger than the limit of ${bodyLimit}; nothing was run`),
        );
      send(
        res,
        400,
        ResultCode.InvalidRequest,
        problem('The request body could not be read; nothing was run'),
      );
    },
  );
  return router;
}

/** The answer of a batch: `[{"<Command>_V<N>": response payload}, …]`, in order. */
export function batchJson(
  calls: CommandCall[],
  outcomes: CommandOutcome[],
): Record<string, unknown>[] {
  return outcomes.map((outcome, i) => ({
    [`${calls[i].command}_V${calls[i].version}`]: outcomeJson(outcome),
  }));
}

function commandCall(key: string, json: unknown): CommandCall {
  const m = COMMAND_KEY.exec(key);
  if (!m)
    throw new FramingError(
      404,
      `"${key}" is not a command version: the path is /api/v1/commands/<Command>_V<N>, e.g. /api/v1/commands/SaveTicket_V4`,
    );
  return { command: m[1], version: Number(m[2]), payload: { json } };
}

function batchCalls(json: unknown): CommandCall[] {
  if (!Array.isArray(json))
    throw new FramingError(
      400,
      'A batch is a JSON array of {"<Command>_V<N>": payload} objects; nothing was run',
    );
  if (json.length === 0)
    throw new FramingError(
      400,
      'The batch is empty: send at least one {"<Command>_V<N>": payload} object',
    );
  if (json.length > MAX_COMMANDS)
    throw new FramingError(
      400,
      `The batch holds ${json.length} commands; at most ${MAX_COMMANDS} run together. Nothing was run`,
    );
  return json.map((item, i) => {
    const keys =
      item !== null && typeof item === 'object' && !Array.isArray(item) ? Object.keys(item) : [];
    if (keys.length !== 1)
      throw new FramingError(
        400,
        `Batch item #${i + 1} must be an object with exactly one key, "<Command>_V<N>", holding its payload; nothing was run`,
      );
    if (!COMMAND_KEY.test(keys[0]))
      throw new FramingError(
        400,
        `Batch item #${i + 1}: "${keys[0]}" is not a command version such as "SaveTicket_V4"; nothing was run`,
      );
    return commandCall(keys[0], (item as Record<string, unknown>)[keys[0]]);
  });
}

function parseJson(body: unknown): unknown {
  const raw = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
  if (!isUtf8(raw))
    throw new FramingError(
      400,
      'The request body is not valid UTF-8; send JSON in UTF-8. Nothing was run',
    );
  const text = raw.toString('utf8').replace(/^\uFEFF/, '');
  if (!text.trim()) return {}; // an empty body is an empty payload, like <TGetTicketCategoryListRequest_V1 />
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FramingError(
      400,
      `The request body is not JSON: ${(error as Error).message}. Nothing was run`,
    );
  }
}

function checkMediaType(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers['content-type'];
  if (header === undefined) return next(); // read as JSON
  const { type, charset } = contentType(header);
  if (type !== 'application/json')
    return send(
      res,
      415,
      ResultCode.InvalidRequest,
      problem(`Content-Type must be application/json, not ${type}`),
    );
  if (!isUtf8Charset(charset))
    return send(
      res,
      415,
      ResultCode.InvalidRequest,
      problem(`The request must be UTF-8, not ${charset}`),
    );
  next();
}

const sessionOf = (req: Request) => req.get(SESSION_HEADER)?.trim() || undefined;
const problem = (message: string) => ({
  ResultCode: ResultCode.InvalidRequest,
  ResultMessage: message,
});

function refuse(res: Response, error: unknown, log: Logger): void {
  if (error instanceof FramingError)
    return send(res, error.status, ResultCode.InvalidRequest, problem(error.message));
  // runCommand and runCommands answer every failure themselves; this is a bug in the framing.
  log('JSON transport error', error);
  send(res, 500, ResultCode.InternalError, {
    ResultCode: ResultCode.InternalError,
    ResultMessage: 'Internal error',
  });
}

function send(res: Response, status: number, resultCode: number, body: unknown): void {
  res.status(status).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('X-ACMP-Result-Code', String(resultCode));
  res.end(JSON.stringify(body));
}
