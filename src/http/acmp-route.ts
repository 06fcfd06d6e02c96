// POST /acmp: the plain XML transport of spec §8, a thin adapter around processCommand.
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { writeErrorEnvelope } from '../protocol/envelope';
import {
  type CommandOutcome,
  documentResultCode,
  type Logger,
  outcomeJson,
  type PipelineContext,
  processCommand,
  runDocument,
} from '../protocol/process-command';
import { ResultCode } from '../protocol/result-codes';
import { invalidUtf8Offset } from './utf8';
import { exchangeOf } from '../observability/exchange';
import { requestLog } from '../observability/logger';

/** The header real SICS clients send their session in (spec §5). */
export const SESSION_HEADER = 'X-SICS-SESSION';

const XML_TYPES = new Set(['text/xml', 'application/xml']);

export function acmpRouter(ctx: PipelineContext, bodyLimit: string, baseLog: Logger): Router {
  const router = Router();
  router.post(
    '/acmp',
    checkMediaType,
    express.raw({ type: () => true, limit: bodyLimit }),
    async (req: Request, res: Response) => {
      const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      // Decoding would turn bad bytes into U+FFFD and store them: a body that is not UTF-8 is
      // malformed XML (200 with 35, like any other), refused before anything reads it.
      if (!isUtf8(raw))
        return send(
          res,
          200,
          ResultCode.InvalidRequest,
          writeErrorEnvelope(ResultCode.InvalidRequest, notUtf8(raw)),
        );
      // The session travels outside the payload (spec §5); the core decides what it means.
      const session = req.get(SESSION_HEADER)?.trim() || undefined;
      const pipeline = { ...ctx, session, trace: exchangeOf(res)?.trace };
      const log = requestLog(baseLog, res);
      // SuperOffice-style negotiation (spec §8.4): Accept application/json answers the same outcome in JSON.
      if (req.accepts(['text/xml', 'application/xml', 'application/json']) === 'application/json') {
        const document = await runDocument(raw.toString('utf8'), pipeline, log);
        return sendJson(
          res,
          document.notXml ? 400 : 200,
          documentResultCode(document.outcomes),
          documentJson(document.outcomes),
        );
      }
      const result = await processCommand(raw.toString('utf8'), pipeline, log);
      send(res, result.notXml ? 400 : 200, result.resultCode, result.xml);
    },
  );
  router.all('/acmp', (_req, res) => {
    res.setHeader('Allow', 'POST');
    send(
      res,
      405,
      ResultCode.InvalidRequest,
      writeErrorEnvelope(ResultCode.InvalidRequest, 'Send ACMP commands with POST'),
    );
  });
  // Body parser failures (too large, aborted, bad encoding) still get an ICQL answer.
  router.use(
    '/acmp',
    (
      err: { type?: string; status?: number; limit?: number },
      _req: Request,
      res: Response,
      next: NextFunction,
    ) => {
      if (res.headersSent) return next(err);
      if (err.type === 'entity.too.large') {
        return send(
          res,
          413,
          ResultCode.InvalidRequest,
          writeErrorEnvelope(
            ResultCode.InvalidRequest,
            `The request is larger than the limit of ${bodyLimit}`,
          ),
        );
      }
      send(
        res,
        400,
        ResultCode.InvalidRequest,
        writeErrorEnvelope(ResultCode.InvalidRequest, 'The request body could not be read'),
      );
    },
  );
  return router;
}

/** What /acmp answers for a body that is not UTF-8 (the SOAP transport says the same in its fault). */
export function notUtf8(raw: Buffer): string {
  const at = invalidUtf8Offset(raw);
  const bytes = [...raw.subarray(at, at + 4)]
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');
  return `The request body is not valid UTF-8 at byte offset ${at} (bytes ${bytes}); send it in UTF-8. Nothing was stored`;
}

/** A Content-Type header: its media type and charset in lower case, its parameters as sent. */
export function contentType(header: string): {
  type: string;
  charset?: string;
  params: Record<string, string>;
} {
  const [type, ...rest] = header.split(';').map((p) => p.trim());
  const params: Record<string, string> = {};
  for (const p of rest) {
    const at = p.indexOf('=');
    if (at > 0)
      params[p.slice(0, at).trim().toLowerCase()] = p
        .slice(at + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.toLowerCase(), charset: params.charset?.toLowerCase(), params };
}

/** Whether a charset parameter (when sent) names UTF-8, the only encoding read. */
export function isUtf8Charset(charset: string | undefined): boolean {
  return !charset || charset === 'utf-8' || charset === 'utf8';
}

function checkMediaType(req: Request, res: Response, next: NextFunction): void {
  const header = req.headers['content-type'];
  if (header === undefined) return next(); // legacy clients that send none are read as XML
  const { type, charset } = contentType(header);
  if (!XML_TYPES.has(type)) {
    return send(
      res,
      415,
      ResultCode.InvalidRequest,
      writeErrorEnvelope(
        ResultCode.InvalidRequest,
        `Content-Type must be text/xml or application/xml, not ${type}`,
      ),
    );
  }
  if (!isUtf8Charset(charset)) {
    return send(
      res,
      415,
      ResultCode.InvalidRequest,
      writeErrorEnvelope(ResultCode.InvalidRequest, `The request must be UTF-8, not ${charset}`),
    );
  }
  next();
}

function send(res: Response, status: number, resultCode: number, xml: string): void {
  res.status(status).setHeader('Content-Type', 'text/xml; charset=utf-8');
  res.setHeader('X-ACMP-Result-Code', String(resultCode));
  res.end(xml);
}

/** One command's answer as its JSON payload; several as [{"<Command>_V<N>": payload}], as POST /api/v1/batch answers. */
function documentJson(outcomes: CommandOutcome[]): unknown {
  if (outcomes.length === 1) return outcomeJson(outcomes[0]);
  return outcomes.map((o) => ({ [o.command?.key ?? 'Error_V1']: outcomeJson(o) }));
}

function sendJson(res: Response, status: number, resultCode: number, body: unknown): void {
  res.status(status).setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('X-ACMP-Result-Code', String(resultCode));
  res.end(JSON.stringify(body));
}
