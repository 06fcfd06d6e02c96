// The SOAP envelope around a command (docs/protocol.md §8.3): read the request's version, headers and Body
// payload; write the answer's Body. Framing only: the payload is the core's business.

import { SESSION_HEADER_ELEMENT } from '../../identity/sessions';
import { payloadName } from '../../protocol/envelope';
import { type CommandOutcome, responseLines } from '../../protocol/process-command';
import { rootNamespace, type XmlElement } from '../../protocol/xml-reader';
import { MalformedXml } from '../../vocabulary/errors';
import { ENVELOPE_NS, HeaderNotUnderstood, type SoapVersion } from './faults';
import { SOAP_TNS } from './wsdl';

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const OPERATION = /^T(\w+)Request_V(\d+)$/;

// Headers addressed to this gateway: no actor/role, or one of these (SOAP 1.1 §4.2.2, 1.2 part 1 §2.2).
const OUR_ROLES = new Set([
  'http://schemas.xmlsoap.org/soap/actor/next',
  'http://www.w3.org/2003/05/soap-envelope/role/next',
  'http://www.w3.org/2003/05/soap-envelope/role/ultimateReceiver',
]);

export interface SoapRequest {
  command: string;
  version: number;
  /** The Body's child, T<Command>Request_V<N>. */
  payload: XmlElement;
  /** The SessionId SOAP header's text, when sent. */
  session?: string;
}

/** The SOAP version of an envelope, by its namespace; undefined when the envelope cannot be read. */
export function envelopeVersion(body: string): SoapVersion | undefined {
  const ns = rootNamespace(body);
  return ns === ENVELOPE_NS['1.1'] ? '1.1' : ns === ENVELOPE_NS['1.2'] ? '1.2' : undefined;
}

/**
 * Reads an envelope whose version is already known (`envelopeVersion`) or throws the error its
 * fault answers: malformed envelope, a mustUnderstand header other than SessionId, a Body
 * that does not hold one operation's request element.
 */
export function readEnvelope(root: XmlElement): SoapRequest {
  const [first, second, ...rest] = root.children;
  const header = first?.name === 'Header' ? first : undefined;
  const body = header ? second : first;
  if (
    root.name !== 'Envelope' ||
    body?.name !== 'Body' ||
    (header ? rest.length : second) ||
    root.text.trim()
  ) {
    throw new MalformedXml(
      'Malformed SOAP envelope: expected <Envelope> holding an optional <Header> and then one <Body>',
    );
  }
  let session: string | undefined;
  for (const h of header?.children ?? []) {
    const role = h.attrs.role ?? h.attrs.actor;
    if (role !== undefined && !OUR_ROLES.has(role)) continue;
    if (h.name === SESSION_HEADER_ELEMENT) session = h.text.trim() || undefined;
    else if (/^\s*(1|true)\s*$/.test(h.attrs.mustUnderstand ?? '')) {
      throw new HeaderNotUnderstood(
        `The SOAP header <${h.name}> is marked mustUnderstand, but this gateway understands only <${SESSION_HEADER_ELEMENT}>`,
      );
    }
  }
  const operation = body.children.length === 1 ? OPERATION.exec(body.children[0].name) : null;
  if (!operation) {
    const names = body.children.slice(0, 5).map((c) => `<${c.name}>`);
    const found =
      body.children.length > 5
        ? `${body.children.length} elements: ${names.join(', ')} …`
        : names.join(', ') || 'nothing';
    throw new MalformedXml(
      `The SOAP Body must hold one T<Command>Request_V<N> element (the operations are in GET /soap?wsdl); found ${found}`,
    );
  }
  return {
    command: operation[1],
    version: Number(operation[2]),
    payload: body.children[0],
    session,
  };
}

/** The answer: the response payload exactly as in ICQL, in SOAP_TNS, HTTP 200 whatever its ResultCode. */
export function writeResponse(
  outcome: CommandOutcome & { command: NonNullable<CommandOutcome['command']> },
  version: SoapVersion,
): string {
  const tag = payloadName(
    outcome.command.definition.name,
    outcome.command.definition.version,
    'Response',
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<soap:Envelope xmlns:soap="${ENVELOPE_NS[version]}">`,
    '  <soap:Body>',
    // Children unprefixed in the default namespace, so that xsi:type="TTicketCost_V1" names the WSDL's type.
    `    <${tag} xmlns="${SOAP_TNS}" xmlns:xsi="${XSI_NS}">`,
    ...responseLines(outcome, 3),
    `    </${tag}>`,
    '  </soap:Body>',
    '</soap:Envelope>',
  ].join('\n');
}

const SESSION_ELEMENT = new RegExp(
  `<(?:[\\w.-]+:)?${SESSION_HEADER_ELEMENT}\\b[^>]*>\\s*([^<\\s]+)\\s*</`,
);
const BODY_ELEMENT = /<(?:[\w.-]+:)?Body[\s>]/;

/**
 * The SessionId SOAP header's text, found by a quick look before the Body only: for the rate
 * limiter, which keys on the session before the envelope is read properly.
 */
export function sessionBeforeBody(body: Buffer): string | undefined {
  const text = body.toString('utf8');
  const bodyAt = text.search(BODY_ELEMENT);
  return SESSION_ELEMENT.exec(bodyAt < 0 ? text : text.slice(0, bodyAt))?.[1];
}
