// SOAP faults (docs/protocol.md §8.3): the one table from an error to fault code and HTTP status, per SOAP
// version. The fault kind follows from the ResultCode the core's error mapping (toWire) gives
// (35: the client's fault, anything else: ours) or from the two SOAP-only errors below; nothing
// here decides whether a request is valid.
import { create } from 'xmlbuilder2';
import type { Logger } from '../../observability/logger';
import { toWire } from '../../protocol/process-command';
import { InvalidRequest } from '../../vocabulary/errors';
import { ResultCode } from '../../vocabulary/result-codes';
import { SOAP_TNS } from './wsdl';

export type SoapVersion = '1.1' | '1.2';

export const ENVELOPE_NS: Record<SoapVersion, string> = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};

export const MEDIA_TYPE: Record<SoapVersion, string> = {
  '1.1': 'text/xml',
  '1.2': 'application/soap+xml',
};

/** 35, answered as a MustUnderstand fault: a header the gateway does not process demands it. */
export class HeaderNotUnderstood extends InvalidRequest {}

/** 35, answered as a VersionMismatch fault: the envelope is in neither SOAP namespace. */
export class VersionMismatch extends InvalidRequest {}

type FaultKind = 'client' | 'server' | 'mustUnderstand' | 'versionMismatch';

/** Fault code (in the envelope's namespace) and HTTP status: SOAP 1.1 §4.4 and §6.2, SOAP 1.2 part 2 §7.5.1. */
const FAULTS: Record<FaultKind, Record<SoapVersion, { code: string; status: number }>> = {
  client: { '1.1': { code: 'Client', status: 500 }, '1.2': { code: 'Sender', status: 400 } },
  server: { '1.1': { code: 'Server', status: 500 }, '1.2': { code: 'Receiver', status: 500 } },
  mustUnderstand: {
    '1.1': { code: 'MustUnderstand', status: 500 },
    '1.2': { code: 'MustUnderstand', status: 500 },
  },
  versionMismatch: {
    '1.1': { code: 'VersionMismatch', status: 500 },
    '1.2': { code: 'VersionMismatch', status: 500 },
  },
};

export interface Fault {
  kind: FaultKind;
  resultCode: number;
  message: string;
}

/** The fault for a throwable: its ResultCode and message come from the core's one mapping. */
export function faultOf(error: unknown, log: Logger): Fault {
  const { resultCode, message } = toWire(error, log);
  const kind =
    error instanceof HeaderNotUnderstood
      ? 'mustUnderstand'
      : error instanceof VersionMismatch
        ? 'versionMismatch'
        : kindOf(resultCode);
  return { kind, resultCode, message };
}

/** The fault for an answer that is not a command's (the core could not resolve the operation). */
export function faultOfAnswer(resultCode: number, message: string): Fault {
  return { kind: kindOf(resultCode), resultCode, message };
}

function kindOf(resultCode: number): FaultKind {
  return resultCode === ResultCode.InvalidRequest ? 'client' : 'server';
}

/** The fault envelope in the request's SOAP version, with the ResultCode in its detail. */
export function writeFault(fault: Fault, version: SoapVersion): { status: number; xml: string } {
  const { code, status } = FAULTS[fault.kind][version];
  const env = ENVELOPE_NS[version];
  const doc = create({ version: '1.0', encoding: 'utf-8' });
  const envelope = doc.ele(env, 'env:Envelope');
  if (fault.kind === 'versionMismatch' && version === '1.2') {
    // SOAP 1.2 part 1 §5.4.7: name the envelopes this gateway reads.
    const upgrade = envelope.ele(env, 'env:Header').ele(env, 'env:Upgrade');
    for (const [v, ns] of Object.entries(ENVELOPE_NS)) {
      const prefix = `v${v.replace('.', '')}`;
      upgrade
        .ele(env, 'env:SupportedEnvelope', { qname: `${prefix}:Envelope` })
        .att('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, ns);
    }
  }
  const body = envelope.ele(env, 'env:Body').ele(env, 'env:Fault');
  let detail: typeof body;
  if (version === '1.1') {
    body.ele('faultcode').txt(`env:${code}`);
    body.ele('faultstring').txt(fault.message);
    detail = body.ele('detail');
  } else {
    body.ele(env, 'env:Code').ele(env, 'env:Value').txt(`env:${code}`);
    body
      .ele(env, 'env:Reason')
      .ele(env, 'env:Text')
      .att('http://www.w3.org/XML/1998/namespace', 'xml:lang', 'en')
      .txt(fault.message);
    detail = body.ele(env, 'env:Detail');
  }
  detail.ele(SOAP_TNS, 'ResultCode').txt(String(fault.resultCode));
  detail.ele(SOAP_TNS, 'ResultMessage').txt(fault.message);
  return { status, xml: doc.end({ prettyPrint: true }) };
}
