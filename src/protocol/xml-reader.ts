// XML options chosen on purpose, in one place (architecture guide, convention 8): text stays
// text, attributes are kept, namespaces are dropped so elements match by local name, entities
// declared in a DTD are never expanded because a DOCTYPE is refused before parsing, characters
// XML 1.0 forbids are refused before anything can store them, and nesting is limited.
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { MalformedXml, NotXml } from '../vocabulary/errors';

/** An element, by local name, with its text (all text and CDATA children joined) and child elements. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

/** The deepest a request needs: ICQL/ACMP/Command/Payload/field/list/item/field/list/value is 10. */
export const MAX_DEPTH = 16;

const OPTIONS = {
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Entities are decoded below in one pass (the parser's own decoding runs a regular expression
  // per known entity over every text, and is most of its time); CDATA is kept apart so that
  // its text is never decoded.
  processEntities: false,
  cdataPropName: '#cdata',
  ignoreDeclaration: true,
  ignorePiTags: true,
  // fast-xml-parser refuses only when its stack of open tags EXCEEDS the option, one level
  // below the element being opened.
  maxNestedTags: MAX_DEPTH - 1,
};
const parser = new XMLParser(OPTIONS);
// fast-xml-parser collects text one character at a time (text += char): a rope of one-character
// strings, about 30 bytes of heap per character, 130 MB and half a second for the 4 MB base64
// <Content> of one attachment, garbage that four concurrent requests pile up to most of a GB.
// So <Content> is read as a stop node: its text is cut out of the body in one piece. Should that
// raw text hold markup (CDATA, a comment, an element) or sit too deep, the body is read again the
// ordinary way (readXml), so the result is always the same.
const RAW_TEXT = 'Content';
const rawTextParser = new XMLParser({ ...OPTIONS, stopNodes: [`..${RAW_TEXT}`] });

/** Parses a request body into its root element, or throws a typed error saying what is wrong. */
export function readXml(body: string): XmlElement {
  if (body.charCodeAt(0) === 0xfeff) body = body.slice(1);
  const start = body.search(/\S/);
  if (start < 0 || body[start] !== '<')
    throw new NotXml('The request body is not XML: expected an ICQL document');
  refuseDeclarations(body);
  refuseForbiddenCharacters(body);

  const verdict = XMLValidator.validate(body);
  if (verdict !== true) {
    const { msg, line, col } = verdict.err;
    throw new MalformedXml(`Malformed XML at line ${line}, column ${col}: ${msg}`);
  }
  const roots = toElements(parse(rawTextParser, body), 1) ?? toElements(parse(parser, body), 1)!;
  if (roots.length !== 1)
    throw new MalformedXml(`An XML document has exactly one root element; found ${roots.length}`);
  return roots[0];
}

function parse(xml: XMLParser, body: string): any[] {
  try {
    return xml.parse(body);
  } catch (e) {
    const msg = (e as Error).message;
    if (/nested/i.test(msg))
      throw new MalformedXml(
        `The XML is nested deeper than ${MAX_DEPTH} levels, more than any command needs`,
      );
    throw new MalformedXml(`Malformed XML: ${msg}`);
  }
}

/**
 * Refuses a DOCTYPE or ENTITY (or any other `<!` declaration) in the markup; comments and CDATA
 * sections are skipped, so text such as an HTML description with `<!DOCTYPE html>` in CDATA is
 * text. Attribute values cannot hold `<`, and escaped text (`&lt;!DOCTYPE`) has none.
 */
function refuseDeclarations(body: string): void {
  for (let at = body.indexOf('<!'); at >= 0; at = body.indexOf('<!', at)) {
    const end = body.startsWith('<!--', at)
      ? '-->'
      : body.startsWith('<![CDATA[', at)
        ? ']]>'
        : undefined;
    if (!end) throw new MalformedXml('A DOCTYPE or ENTITY declaration is not allowed in a request');
    const close = body.indexOf(end, at + 4);
    if (close < 0) return; // unterminated: the well-formedness check names it
    at = close + end.length;
  }
}

// XML 1.0 Char: no C0 controls but tab, LF and CR; no U+FFFE, U+FFFF; no lone surrogates.
// PostgreSQL refuses NUL in text, so an unchecked one would end as a database error (19).
const FORBIDDEN_FAST = /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]/;
const FORBIDDEN =
  /[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Refuses a character XML forbids, naming line, column and the element it stands in. */
function refuseForbiddenCharacters(body: string): void {
  // The good path is two linear scans (a few ms for a 4 MB body); the exact search runs only on failure.
  if (!FORBIDDEN_FAST.test(body) && (body as unknown as { isWellFormed(): boolean }).isWellFormed())
    return;
  const at = FORBIDDEN.exec(body)!.index;
  const before = body.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  const code = body.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
  const path = openElements(before);
  throw new MalformedXml(
    `Malformed XML at line ${line}, column ${column}: the character U+${code} is not allowed in XML` +
      (path ? ` (in ${path})` : ''),
  );
}

/** The local names of the elements open at the end of `xml`, outermost first: "ICQL/ACMP/SaveTicket/…/Title". */
function openElements(xml: string): string {
  const open: string[] = [];
  const markup =
    /<!--[\s\S]*?-->|<!\[CDATA\[[\s\S]*?\]\]>|<\?[\s\S]*?\?>|<(\/?)([^\s/>]+)(?:"[^"]*"|'[^']*'|[^'">])*?(\/?)>/g;
  for (const [, closing, name, selfClosing] of xml.matchAll(markup)) {
    if (!name || selfClosing) continue;
    if (closing) open.pop();
    else open.push(name.replace(/^.*:/, ''));
  }
  return open.join('/');
}

/** The elements of a parsed tree; undefined when raw text of a stop node needs the ordinary reading. */
function toElements(nodes: any[], depth: number): XmlElement[] | undefined {
  const out: XmlElement[] = [];
  for (const node of nodes) {
    for (const key in node) {
      if (key === ':@' || key === '#text' || key === '#cdata') continue;
      const kids = node[key] as any[];
      let text = '';
      for (const k of kids) {
        if (k['#text'] !== undefined) {
          // Text the ordinary reading gives never holds "<"; raw text of a stop node may.
          if (key === RAW_TEXT && (depth > MAX_DEPTH || k['#text'].includes('<'))) return undefined;
          text += decodeEntities(k['#text']);
        } else if (k['#cdata'] !== undefined)
          text += k['#cdata'].map((c: any) => c['#text'] ?? '').join('');
      }
      const attrs: Record<string, string> = {};
      for (const [name, value] of Object.entries((node[':@'] ?? {}) as Record<string, string>))
        attrs[name] = decodeEntities(value);
      const children = toElements(kids, depth + 1);
      if (!children) return undefined;
      out.push({ name: key, attrs, children, text });
    }
  }
  return out;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** The five XML entities and character references; any other entity is an error (no DTD defines one). */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';'))
      throw new MalformedXml(
        `Malformed XML: "&" must be written as &amp; (found "${whole.slice(0, 20)}")`,
      );
    if (ref in XML_ENTITIES) return XML_ENTITIES[ref];
    const code = /^#x[0-9a-fA-F]{1,6}$/.test(ref)
      ? parseInt(ref.slice(2), 16)
      : /^#[0-9]{1,7}$/.test(ref)
        ? Number(ref.slice(1))
        : -1;
    const allowed =
      code === 0x9 ||
      code === 0xa ||
      code === 0xd ||
      (code >= 0x20 && code <= 0xd7ff) ||
      (code >= 0xe000 && code <= 0xfffd) ||
      (code >= 0x10000 && code <= 0x10ffff);
    if (!allowed)
      throw new MalformedXml(`Malformed XML: unknown entity or character reference &${ref};`);
    return String.fromCodePoint(code);
  });
}

/**
 * The namespace URI of the root element of a well-formed document (readXml drops prefixes and
 * xmlns attributes; SOAP needs the envelope's namespace to tell 1.1 from 1.2). A root's prefix
 * can only be declared on the root itself. Undefined when the root has no namespace.
 */
export function rootNamespace(body: string): string | undefined {
  const root = /<([^\s/>!?]+)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(
    body.replace(/<!--[\s\S]*?-->/g, ''),
  );
  if (!root) return undefined;
  const prefix = root[1].includes(':') ? root[1].slice(0, root[1].indexOf(':')) : '';
  const wanted = prefix ? `xmlns:${prefix}` : 'xmlns';
  for (const [, name, double, single] of root[2].matchAll(
    /([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g,
  )) {
    if (name === wanted) return decodeEntities(double ?? single);
  }
  return undefined;
}
