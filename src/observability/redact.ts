// Redaction of the bodies the communication log stores: no password, password hash,
// token or session id, and no attachment content (only its size). Works on text, not on a
// parsed tree, so that malformed or hostile bodies are redacted too: every pass is one left-to-
// right scan (regular expressions without nested quantifiers, indexOf), linear in the body.
import { decodeBase64 } from '../domain/base64';

/** What a secret's value becomes. Export (`npm run log -- export`) recognises it. */
export const REDACTED = '[redacted]';

/** Elements and JSON keys whose value is a secret, compared exactly (XML: any namespace prefix). */
export const SECRET_NAMES = ['PasswordHash', 'Password', 'Token', 'SessionId', 'SessionID'];
/** JSON keys only: the SICS bus's POST /Session answer, {"Session": "<session id>"}. */
const JSON_ONLY_SECRETS = ['Session'];
/** Attachment content (TTicketAttachment_V1.Content, schemas/xsd/types/attachment.xsd): Base64. */
export const CONTENT_NAMES = ['Content'];

const NAMES = [...SECRET_NAMES, ...CONTENT_NAMES].join('|');
// An opening tag of one of the names, any prefix (bounded, so a long name costs no backtracking);
// the lookahead keeps <PasswordHashes> or <TokenX> out. Its value is what follows, up to the next '<'.
const XML_OPEN = new RegExp(`<(?:[\\w.-]{1,100}:)?(${NAMES})(?=[\\s/>])[^<>]*>`, 'g');
const CDATA = '<![CDATA[';
/** Every name above holds one of these. */
const MARKERS = ['Password', 'Token', 'Session', 'Content'];

/** "[N bytes]": the decoded size of Base64 text (whitespace ignored), without decoding it. */
export function sizeNote(base64: string): string {
  let chars = 0;
  let pad = 0;
  for (let i = 0; i < base64.length; i++) {
    const c = base64.charCodeAt(i);
    if (c === 0x3d) pad++;
    else if (c > 0x20) chars++;
  }
  return `[${Math.floor(((chars + pad) * 3) / 4) - pad} bytes]`;
}

/** An XML (ICQL, SOAP) body with secret values and attachment contents replaced. */
export function redactXml(xml: string): string {
  // Most bodies hold none of the names: a few fast substring searches spare them the scan.
  if (!MARKERS.some((m) => xml.includes(m))) return xml;
  let out = '';
  let copied = 0;
  XML_OPEN.lastIndex = 0;
  for (let m = XML_OPEN.exec(xml); m; m = XML_OPEN.exec(xml)) {
    const start = XML_OPEN.lastIndex;
    if (m[0].endsWith('/>')) continue; // empty element: nothing to hide
    // The value runs to the next '<' that does not open a CDATA section; an unclosed CDATA
    // section (malformed) hides everything to the end rather than leak it.
    let end = start;
    for (;;) {
      const lt = xml.indexOf('<', end);
      if (lt < 0) {
        end = xml.length;
        break;
      }
      if (!xml.startsWith(CDATA, lt)) {
        end = lt;
        break;
      }
      const close = xml.indexOf(']]>', lt + CDATA.length);
      end = close < 0 ? xml.length : close + 3;
      if (close < 0) break;
    }
    const value = xml.slice(start, end);
    if (!value) continue;
    const isContent = CONTENT_NAMES.includes(m[1]);
    // An empty-looking value (whitespace) is shown as it is: nothing was sent.
    if (!value.trim()) continue;
    const base64 = value.includes(CDATA)
      ? value.split(CDATA).join('').split(']]>').join('')
      : value; // no copy of plain content
    out += xml.slice(copied, start) + (isContent ? sizeNote(base64) : REDACTED);
    copied = end;
    XML_OPEN.lastIndex = end;
  }
  return copied === 0 ? xml : out + xml.slice(copied);
}

type Json = unknown;

/**
 * A parsed JSON value with secret values and attachment contents replaced (a copy, keys in their
 * order). With `decodeBodies` (SICS), a Base64 `Body` holding XML (a publish to the ACMP router,
 * a consumed answer) is decoded and redacted as XML, so that the log shows the ICQL.
 */
export function redactJsonValue(
  value: Json,
  decodeBodies = false,
  depth = 0,
  changed = { any: false },
): Json {
  if (depth > 64) {
    changed.any = true; // deeper than any command: not walked, not shown
    return REDACTED;
  }
  if (Array.isArray(value))
    return value.map((v) => redactJsonValue(v, decodeBodies, depth + 1, changed));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, Json> = {};
  for (const [key, v] of Object.entries(value as Record<string, Json>)) {
    let r = v;
    if (v === null || v === undefined || v === '') r = v;
    else if (SECRET_NAMES.includes(key) || JSON_ONLY_SECRETS.includes(key)) r = REDACTED;
    else if (CONTENT_NAMES.includes(key)) r = typeof v === 'string' ? sizeNote(v) : REDACTED;
    else if (decodeBodies && key === 'Body' && typeof v === 'string') r = readableBody(v);
    else r = redactJsonValue(v, decodeBodies, depth + 1, changed);
    if (r !== v) changed.any = true;
    out[key] = r;
  }
  return out;
}

/** A bus message's Base64 Body: the XML it holds, redacted; anything else stays as sent. */
function readableBody(base64: string): string {
  const strict = decodeBase64(base64);
  // Leniently too: a body the bus refuses still must not show a secret through its Base64.
  const text = (strict.ok ? strict.bytes : Buffer.from(base64, 'base64')).toString('utf8');
  return /^\s*</.test(text) ? redactXml(text) : base64;
}

const JSON_NAMES = [...SECRET_NAMES, ...JSON_ONLY_SECRETS, ...CONTENT_NAMES].join('|');
// For text that is not valid JSON: "Key": value, the value a string (closed or not: an unclosed
// one hides the rest) or any run of characters up to , } ] or a line end.
const JSON_PAIR = new RegExp(
  `"(${JSON_NAMES})"(\\s*:\\s*)("(?:[^"\\\\]|\\\\[\\s\\S])*"?|[^,}\\]\\r\\n]*)`,
  'g',
);

/** A JSON body (JSON transport, SICS): valid JSON is walked; anything else is redacted as text. */
export function redactJsonText(text: string): string {
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactJsonPairs(text);
  }
  return restringified(text, parsed, false);
}

/** "Key": value pairs of the names in any text (not JSON, or JSON cut short), without parsing it. */
export function redactJsonPairs(text: string): string {
  if (!MARKERS.some((m) => text.includes(m))) return text;
  return text.replace(JSON_PAIR, (_all, key: string, colon: string, value: string) => {
    if (!CONTENT_NAMES.includes(key)) return `"${key}"${colon}"${REDACTED}"`;
    return `"${key}"${colon}"${sizeNote(value.replace(/^"|"$/g, ''))}"`;
  });
}

/** The text as sent when nothing was hidden, else the redacted value as JSON. */
function restringified(text: string, parsed: Json, decodeBodies: boolean): string {
  const changed = { any: false };
  const redacted = redactJsonValue(parsed, decodeBodies, 0, changed);
  return changed.any ? JSON.stringify(redacted) : text;
}

/** A SICS call's JSON, redacted, with the ICQL inside its Base64 bodies readable (redactJsonValue). */
export function redactSicsJson(text: string): string {
  let parsed: Json;
  try {
    parsed = JSON.parse(text);
  } catch {
    return redactJsonText(text);
  }
  return restringified(text, parsed, true);
}
