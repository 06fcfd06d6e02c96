// POST /acmp: the plain XML transport of docs/protocol.md §8, a thin adapter around processCommand.
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { contentType, isUtf8Charset, notUtf8 } from '../../http/body';
import { SESSION_HEADER } from '../../identity/sessions';
import { exchangeOf, requestLog } from '../../observability/exchange';
import type { Logger } from '../../observability/logger';
import { writeErrorEnvelope } from '../../protocol/envelope';
import {
  type CommandOutcome,
  documentResultCode,
  outcomeJson,
  type PipelineContext,
  processCommand,
  runDocument,
} from '../../protocol/process-command';
import { ResultCode } from '../../vocabulary/result-codes';

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
      // The session travels outside the payload (docs/protocol.md §5); the core decides what it means.
      const session = req.get(SESSION_HEADER)?.trim() || undefined;
      const pipeline = { ...ctx, session, trace: exchangeOf(res)?.trace };
      const log = requestLog(baseLog, res);
      // SuperOffice-style negotiation (docs/protocol.md §8.4): Accept application/json answers the same outcome in JSON.
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

/** A refusal before the route ran (a rate limit): the error envelope, or JSON when only JSON is accepted. */
export function plainRefusal(
  req: Request,
  res: Response,
  resultCode: number,
  message: string,
): void {
  if (req.accepts(['text/xml', 'application/xml', 'application/json']) === 'application/json')
    res.json({ ResultCode: resultCode, ResultMessage: message });
  else
    res
      .setHeader('Content-Type', 'text/xml; charset=utf-8')
      .end(writeErrorEnvelope(resultCode, message));
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
