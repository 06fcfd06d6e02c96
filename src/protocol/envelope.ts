// The ICQL envelope of docs/protocol.md §1: ICQL / ACMP / <Command version="N"> / T<Command>Request_V<N>.
import { MalformedXml, UnknownCommand } from '../vocabulary/errors';
import type { XmlElement } from './xml-reader';
import { XmlLines } from './xml-writer';

export interface RequestEnvelope {
  command: string;
  version: number;
  /** The payload element; absent when the command element is empty. */
  payload?: XmlElement;
}

const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const PAYLOAD = /^T(\w+)Request_V(\d+)$/;

/** At most this many commands in one document (docs/protocol.md §8.5). */
export const MAX_COMMANDS = 100;

/** The one command of a document; a document holding several is refused here (see readEnvelopes). */
export function readEnvelope(root: XmlElement): RequestEnvelope {
  const envelopes = readEnvelopes(root);
  if (envelopes.length !== 1)
    throw new MalformedXml(
      `<ACMP> must contain exactly one command element; found ${envelopes.length}`,
    );
  return envelopes[0];
}

/** The commands of a document in order: one, or several run in one transaction (docs/protocol.md §8.5). */
export function readEnvelopes(root: XmlElement): RequestEnvelope[] {
  if (root.name !== 'ICQL')
    throw new MalformedXml(`The root element must be <ICQL>, not <${root.name}>`);
  const acmp = root.children.find((c) => c.name === 'ACMP');
  if (!acmp || root.children.length !== 1)
    throw new MalformedXml('<ICQL> must contain exactly one <ACMP> element');
  if (acmp.children.length === 0)
    throw new MalformedXml('<ACMP> must contain a command element; found none');
  if (acmp.children.length > MAX_COMMANDS) {
    throw new MalformedXml(
      `<ACMP> holds ${acmp.children.length} command elements; at most ${MAX_COMMANDS} run in one document. Nothing was run`,
    );
  }
  return acmp.children.map(readCommand);
}

/** The payload element's name for a command version: T<Command>Request_V<N>. */
export function payloadName(
  command: string,
  version: number,
  direction: 'Request' | 'Response',
): string {
  return `T${command}${direction}_V${version}`;
}

/** Reads one command element: `<SaveTicket version="4"><TSaveTicketRequest_V4>…`. */
export function readCommand(cmd: XmlElement): RequestEnvelope {
  const versionAttr = cmd.attrs.version;
  if (cmd.children.length > 1)
    throw new UnknownCommand(
      `<${cmd.name}> must contain one payload element; found ${cmd.children.length}`,
    );
  const payload = cmd.children[0];
  const m = payload ? PAYLOAD.exec(payload.name) : null;
  if (payload && (!m || m[1] !== cmd.name)) {
    throw new UnknownCommand(
      `The payload of <${cmd.name}> must be <T${cmd.name}Request_V${versionAttr ?? 'N'}>, not <${payload.name}>`,
    );
  }
  const suffix = m ? Number(m[2]) : undefined;
  if (versionAttr !== undefined && !/^\s*\d+\s*$/.test(versionAttr)) {
    throw new UnknownCommand(
      `The version attribute of <${cmd.name}> must be a whole number, not "${versionAttr}"`,
    );
  }
  const version = versionAttr !== undefined ? Number(versionAttr) : suffix;
  if (version === undefined)
    throw new UnknownCommand(
      `<${cmd.name}> has neither a version attribute nor a payload element naming the version`,
    );
  if (suffix !== undefined && suffix !== version) {
    throw new UnknownCommand(
      `version="${versionAttr}" on <${cmd.name}> disagrees with the payload element <${payload!.name}>`,
    );
  }
  return { command: cmd.name, version, payload };
}

/** Writes a full response envelope around payload lines (already indented for depth 4). */
export function writeEnvelope(command: string, version: number, body: string[]): string {
  const tag = `T${command}Response_V${version}`;
  // Joined once, not spread into a new array first: a list's body is thousands of lines.
  const head = `<ICQL xmlns:xsi="${XSI_NS}" xmlns="http://acmp.com/${command}Response_V${version}">\n  <ACMP>\n    <${command} ActionType="Response" version="${version}">\n      <${tag} xmlns:xsi="${XSI_NS}">\n`;
  const tail = `      </${tag}>\n    </${command}>\n  </ACMP>\n</ICQL>`;
  return body.length ? `${head}${body.join('\n')}\n${tail}` : head + tail;
}

/** One response command element per answer, in order, in one document (docs/protocol.md §8.5). */
export function writeEnvelopes(
  answers: { command: string; version: number; body: string[] }[],
): string {
  if (answers.length === 1)
    return writeEnvelope(answers[0].command, answers[0].version, answers[0].body);
  const out = [`<ICQL xmlns:xsi="${XSI_NS}">`, '  <ACMP>'];
  for (const { command, version, body } of answers) {
    const tag = payloadName(command, version, 'Response');
    // Each command element carries its own response namespace, as the single form carries it on ICQL.
    out.push(
      `    <${command} ActionType="Response" version="${version}" xmlns="http://acmp.com/${command}Response_V${version}">`,
    );
    out.push(
      `      <${tag} xmlns:xsi="${XSI_NS}">`,
      ...body,
      `      </${tag}>`,
      `    </${command}>`,
    );
  }
  out.push('  </ACMP>', '</ICQL>');
  return out.join('\n');
}

/** The answer when no command could be recognised: command element Error, payload TErrorResponse_V1. */
export function writeErrorEnvelope(resultCode: number, message: string): string {
  const out = new XmlLines();
  out.leaf(4, 'ResultCode', String(resultCode));
  out.leaf(4, 'ResultMessage', message);
  return writeEnvelope('Error', 1, out.lines);
}
