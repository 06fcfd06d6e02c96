// XML options chosen on purpose, in one place (architecture guide, convention 8): text stays
// text, attributes are kept, namespaces are dropped so elements match by local name, entities
// declared in a DTD are never expanded because a DOCTYPE is refused before parsing, and nesting
// is limited.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MalformedXml, NotXml } from './errors';

/** An element, by local name, with its text (all text and CDATA children joined) and child elements. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** The deepest a request needs: ICQL/ACMP/Command/Payload/field/list/item/field/list/value is 10. */
export const MAX_DEPTH = 16;

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Enables numeric character references (&#233;); named entities beyond the XML five are
  // HTML ones, which is harmless for text and never reaches a DTD.
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // fast-xml-parser refuses only when its stack of open tags EXCEEDS the option, one level
  // below the element being opened.
  maxNestedTags: MAX_DEPTH - 1,
});

const DOCTYPE = /<!DOCTYPE|<!ENTITY/i;

/** Parses a request body into its root element, or throws a typed error saying what is wrong. */
export function readXml(body: string): XmlElement {
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
  const start = body.search(/\S/);
  if (start < 0 || body[start] !== '<') throw new NotXml('The request body is not XML: expected an ICQL document');
  if (DOCTYPE.test(body)) throw new MalformedXml('A DOCTYPE or ENTITY declaration is not allowed in a request');

  const verdict = XMLValidator.validate(body);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new MalformedXml(`Malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  let nodes: any[];
  try {
    nodes = parser.parse(body);
  } catch (e) {
    const msg = (e as Error).message;
    if (/nested/i.test(msg)) throw new MalformedXml(`The XML is nested deeper than ${MAX_DEPTH} levels, more than any command needs`);
    throw new MalformedXml(`Malformed XML: ${msg}`);
  }
  const roots = toElements(nodes);
  if (roots.length !== 1) throw new MalformedXml(`An XML document has exactly one root element; found ${roots.length}`);
  return roots[0];
}

function toElements(nodes: any[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const node of nodes) {
    for (const key in node) {
      if (key === ':@' || key === '#text') continue;
      const kids = node[key] as any[];
      let text = '';
      for (const k of kids) if (k['#text'] !== undefined) text += k['#text'];
      out.push({ name: key, attrs: node[':@'] ?? {}, children: toElements(kids), text });
    }
  }
  return out;
}
