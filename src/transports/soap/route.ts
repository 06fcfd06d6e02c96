// POST /soap and GET /soap?wsdl: the SOAP 1.1 and 1.2 transport of docs/protocol.md §8.3, a thin adapter
// around runCommand. It reads the envelope, hands the Body's payload to the core and wraps the
// answer; anything that is not a command answer becomes a fault in the request's SOAP version.
import { isUtf8 } from 'node:buffer';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import { contentType, isUtf8Charset, notUtf8 } from '../../http/body';
import { SESSION_HEADER } from '../../identity/sessions';
import { exchangeOf, requestLog } from '../../observability/exchange';
import type { Logger } from '../../observability/logger';
import { type PipelineContext, runCommand } from '../../protocol/process-command';
import { readXml, rootNamespace } from '../../protocol/xml-reader';
import { InvalidRequest } from '../../vocabulary/errors';
import { ResultCode } from '../../vocabulary/result-codes';
import { envelopeVersion, readEnvelope, type SoapRequest, writeResponse } from './envelope';
import {
  ENVELOPE_NS,
  type Fault,
  faultOf,
  faultOfAnswer,
  MEDIA_TYPE,
  type SoapVersion,
  VersionMismatch,
  writeFault,
} from './faults';
import { wsdlWriter } from './wsdl';

export function soapRouter(ctx: PipelineContext, bodyLimit: string, baseLog: Logger): Router {
  const wsdl = wsdlWriter(ctx.registry); // once, at start
  const router = Router();
  router.get('/soap', (req, res, next) => {
    if (!Object.keys(req.query).some((k) => k.toLowerCase() === 'wsdl')) return next();
    // The service address is the URL the client reached the gateway by.
    res.status(200).setHeader('Content-Type', 'text/xml; charset=utf-8');
    res.end(wsdl(`${req.protocol}://${req.get('host') ?? 'localhost'}/soap`));
  });
  router.post(
    '/soap',
    express.raw({ type: () => true, limit: bodyLimit }),
    async (req: Request, res: Response) => {
      // Until the envelope says otherwise, a fault's version follows the Content-Type.
      let version = versionByMediaType(req);
      const log = requestLog(baseLog, res);
      try {
        const raw: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        if (!isUtf8(raw)) throw new InvalidRequest(notUtf8(raw));
        const text = raw.toString('utf8');
        const root = readXml(text);
        const sent = envelopeVersion(text);
        if (root.name === 'Envelope' && !sent) {
          throw new VersionMismatch(
            `The envelope's namespace ${rootNamespace(text) ?? '(none)'} is neither SOAP 1.1 (${ENVELOPE_NS['1.1']}) nor SOAP 1.2 (${ENVELOPE_NS['1.2']})`,
          );
        }
        version = sent ?? version;
        checkMediaType(req, version);
        const request = readEnvelope(root);
        checkAction(req, request, version);
        // The session travels outside the payload (docs/protocol.md §5): the SessionId SOAP header, else X-SICS-SESSION.
        const session = request.session ?? (req.get(SESSION_HEADER)?.trim() || undefined);
        const outcome = await runCommand(
          { command: request.command, version: request.version, payload: { xml: request.payload } },
          { ...ctx, session, trace: exchangeOf(res)?.trace },
          log,
        );
        // No command: the core could not resolve the operation, which SOAP answers with a fault.
        if (!outcome.command)
          return sendFault(res, faultOfAnswer(outcome.resultCode, outcome.message), version);
        send(
          res,
          200,
          version,
          outcome.resultCode,
          writeResponse({ ...outcome, command: outcome.command }, version),
        );
      } catch (error) {
        sendFault(res, faultOf(error, log), version);
      }
    },
  );
  router.all('/soap', (req, res) => {
    res.setHeader('Allow', 'GET, POST');
    const version = versionByMediaType(req);
    const fault = faultOfAnswer(
      ResultCode.InvalidRequest,
      'Send SOAP requests with POST /soap; the WSDL is at GET /soap?wsdl',
    );
    send(res, 405, version, fault.resultCode, writeFault(fault, version).xml);
  });
  // Body parser failures (too large, aborted) still get a fault.
  router.use('/soap', (err: { type?: string }, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const message =
      err.type === 'entity.too.large'
        ? `The request is larger than the limit of ${bodyLimit}`
        : 'The request body could not be read';
    sendFault(res, faultOfAnswer(ResultCode.InvalidRequest, message), versionByMediaType(req));
  });
  return router;
}

/** The SOAP version a request's Content-Type names (1.2: application/soap+xml), before its envelope is read. */
export function versionByMediaType(req: Request): SoapVersion {
  return contentType(req.get('content-type') ?? '').type === MEDIA_TYPE['1.2'] ? '1.2' : '1.1';
}

/** A refusal before the route ran (a rate limit): a SOAP fault of the version the media type names. */
export function soapRefusal(
  req: Request,
  res: Response,
  resultCode: number,
  message: string,
): void {
  const version = versionByMediaType(req);
  res
    .setHeader('Content-Type', `${MEDIA_TYPE[version]}; charset=utf-8`)
    .end(writeFault(faultOfAnswer(resultCode, message), version).xml);
}

/** Each SOAP version has its media type (1.1: text/xml, 1.2: application/soap+xml), in UTF-8. */
function checkMediaType(req: Request, version: SoapVersion): void {
  const header = req.get('content-type');
  if (header === undefined) return; // read as the envelope says, like /acmp reads a body without one
  const { type, charset } = contentType(header);
  if (type !== MEDIA_TYPE[version])
    throw new InvalidRequest(
      `A SOAP ${version} envelope is sent as ${MEDIA_TYPE[version]}, not ${type}`,
    );
  if (!isUtf8Charset(charset))
    throw new InvalidRequest(`The request must be UTF-8, not ${charset}`);
}

/** The action the client names (1.1: SOAPAction header, 1.2: action parameter), when it names one, must be the Body's operation. */
function checkAction(req: Request, request: SoapRequest, version: SoapVersion): void {
  const sent =
    version === '1.1'
      ? req
          .get('SOAPAction')
          ?.trim()
          .replace(/^"(.*)"$/, '$1')
      : contentType(req.get('content-type') ?? '').params.action;
  const operation = `${request.command}_V${request.version}`;
  if (sent && sent !== operation) {
    const where =
      version === '1.1' ? 'The SOAPAction header' : 'The action parameter of the Content-Type';
    throw new InvalidRequest(
      `${where} names "${sent}", but the Body holds the operation ${operation}`,
    );
  }
}

function sendFault(res: Response, fault: Fault, version: SoapVersion): void {
  const { status, xml } = writeFault(fault, version);
  send(res, status, version, fault.resultCode, xml);
}

function send(
  res: Response,
  status: number,
  version: SoapVersion,
  resultCode: number,
  xml: string,
): void {
  res.status(status).setHeader('Content-Type', `${MEDIA_TYPE[version]}; charset=utf-8`);
  res.setHeader('X-ACMP-Result-Code', String(resultCode));
  res.end(xml);
}
