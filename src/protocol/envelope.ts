// The ICQL envelope of spec §1: ICQL / ACMP / <Command version="N"> / T<Command>Request_V<N>.
import { MalformedXml, UnknownCommand } from './errors';
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

export function readEnvelope(root: XmlElement): RequestEnvelope {
  if (root.name !== 'ICQL') throw new MalformedXml(`The root element must be <ICQL>, not <${root.name}>`);
  const acmp = root.children.find((c) => c.name === 'ACMP');
  if (!acmp || root.children.length !== 1) throw new MalformedXml('<ICQL> must contain exactly one <ACMP> element');
  if (acmp.children.length !== 1) throw new MalformedXml(`<ACMP> must contain exactly one command element; found ${acmp.children.length}`);
  const cmd = acmp.children[0];
  const versionAttr = cmd.attrs.version;

  if (cmd.children.length > 1) throw new UnknownCommand(`<${cmd.name}> must contain one payload element; found ${cmd.children.length}`);
  const payload = cmd.children[0];
  const m = payload ? PAYLOAD.exec(payload.name) : null;
  if (payload && (!m || m[1] !== cmd.name)) {
    throw new UnknownCommand(`The payload of <${cmd.name}> must be <T${cmd.name}Request_V${versionAttr ?? 'N'}>, not <${payload.name}>`);
  }
  const suffix = m ? Number(m[2]) : undefined;
  if (versionAttr !== undefined && !/^\s*\d+\s*$/.test(versionAttr)) {
    throw new UnknownCommand(`The version attribute of <${cmd.name}> must be a whole number, not "${versionAttr}"`);
  }
  const version = versionAttr !== undefined ? Number(versionAttr) : suffix;
  if (version === undefined) throw new UnknownCommand(`<${cmd.name}> has neither a version attribute nor a payload element naming the version`);
  if (suffix !== undefined && suffix !== version) {
    throw new UnknownCommand(`version="${versionAttr}" on <${cmd.name}> disagrees with the payload element <${payload!.name}>`);
  }
  return { command: cmd.name, version, payload };
}

/** Writes a full response envelope around payload lines (already indented for depth 4). */
export function writeEnvelope(command: string, version: number, body: string[]): string {
  const tag = `T${command}Response_V${version}`;
  return [
    `<ICQL xmlns:xsi="${XSI_NS}" xmlns="http://acmp.com/${command}Response_V${version}">`,
    '  <ACMP>',
    `    <${command} ActionType="Response" version="${version}">`,
    `      <${tag} xmlns:xsi="${XSI_NS}">`,
    ...body,
    `      </${tag}>`,
    `    </${command}>`,
    '  </ACMP>',
    '</ICQL>',
  ].join('\n');
}

/** The answer when no command could be recognised: command element Error, payload TErrorResponse_V1. */
export function writeErrorEnvelope(resultCode: number, message: string): string {
  const out = new XmlLines();
  out.leaf(4, 'ResultCode', String(resultCode));
  out.leaf(4, 'ResultMessage', message);
  return writeEnvelope('Error', 1, out.lines);
}

