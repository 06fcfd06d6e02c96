// A strict, linear base64 decoder for attachment content (docs/protocol.md §6, TTicketAttachment_V1).
// Hand-written on purpose: Buffer.from(text, 'base64') silently skips bad characters and
// truncates at a stray '=', so damaged content would be stored without a word, and a regex
// check risks backtracking on megabytes of text. One pass over the text, one output buffer.
//
// Accepted: the standard alphabet (A-Z a-z 0-9 + /), '=' padding only at the end and only as
// much as the length needs, and ASCII whitespace anywhere (MIME line breaks). Refused: any other
// character (base64url's - and _ included), a length that is not a multiple of 4, misplaced or
// surplus padding, and non-zero bits in the last character before the padding (a non-canonical
// encoding: decoding and re-encoding it would not give the same text back).

export type Base64Result = { ok: true; bytes: Buffer } | { ok: false; error: string };

const INVALID = -1;
const SPACE = -2;
const PAD = -3;

const TABLE = (() => {
  const t = new Int8Array(256).fill(INVALID);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  for (const c of [' ', '\t', '\r', '\n']) t[c.charCodeAt(0)] = SPACE;
  t['='.charCodeAt(0)] = PAD;
  return t;
})();

function describe(code: number): string {
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${String.fromCharCode(code)}"`;
}

/** Decodes base64 text, or says what is wrong with it and where (1-based character position). */
export function decodeBase64(text: string): Base64Result {
  // Upper bound of the output: every character a significant one.
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let written = 0;
  let quad = 0; // bits collected from the current group of four characters
  let inQuad = 0; // characters of the current group seen so far
  let significant = 0; // alphabet characters and padding, whitespace not counted
  let padding = 0;
  let lastValue = 0; // value of the last alphabet character, for the canonical check
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 256 ? TABLE[code] : INVALID;
    if (v === SPACE) continue;
    if (v === INVALID)
      return {
        ok: false,
        error: `character ${i + 1} is ${code < 256 ? describe(code) : `"${String.fromCharCode(code)}"`}, which is not a base64 character`,
      };
    significant++;
    if (v === PAD) {
      // Padding may only fill the third and fourth place of the last group.
      if (inQuad < 2)
        return { ok: false, error: `character ${i + 1} is padding "=" where data is expected` };
      padding++;
      inQuad++;
      if (inQuad === 4) inQuad = 0;
      continue;
    }
    if (padding)
      return {
        ok: false,
        error: `character ${i + 1} follows the "=" padding, which may only end the text`,
      };
    quad = (quad << 6) | v;
    lastValue = v;
    if (++inQuad === 4) {
      out[written++] = (quad >> 16) & 0xff;
      out[written++] = (quad >> 8) & 0xff;
      out[written++] = quad & 0xff;
      quad = 0;
      inQuad = 0;
    }
  }
  if (significant % 4 !== 0) {
    return {
      ok: false,
      error: `${significant} base64 characters (without whitespace) is not a multiple of 4; the text is cut off or its padding is missing`,
    };
  }
  if (padding === 2) {
    // "xx==": two characters carry one byte; the low 4 bits of the second must be zero.
    if (lastValue & 0x0f)
      return {
        ok: false,
        error: 'the bits after the last byte are not zero (a non-canonical encoding)',
      };
    out[written++] = (quad >> 4) & 0xff;
  } else if (padding === 1) {
    // "xxx=": three characters carry two bytes; the low 2 bits of the third must be zero.
    if (lastValue & 0x03)
      return {
        ok: false,
        error: 'the bits after the last byte are not zero (a non-canonical encoding)',
      };
    out[written++] = (quad >> 10) & 0xff;
    out[written++] = (quad >> 2) & 0xff;
  }
  return { ok: true, bytes: out.subarray(0, written) };
}
