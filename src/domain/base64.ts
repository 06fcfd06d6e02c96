// Linear base64 decoders, hand-written on purpose: Buffer.from(text, 'base64') silently skips bad
// characters and truncates at a stray '=', so damaged content would be accepted without a word,
// and a regex check risks backtracking on megabytes of text. One pass over the text, one output
// buffer, for both readings below.
//
// Strict (the default): attachment content (docs/protocol.md §6, TTicketAttachment_V1).
// Accepted: the standard alphabet (A-Z a-z 0-9 + /), '=' padding only at the end and exactly as
// much as the length needs, and ASCII whitespace anywhere (MIME line breaks). Refused: any other
// character (base64url's - and _ included), a length that is not a multiple of 4, misplaced or
// surplus padding, and non-zero bits in the last character before the padding (a non-canonical
// encoding: decoding and re-encoding it would not give the same text back). Errors name the
// 1-based character position.
//
// Lenient (`{ lenient: true }`): Bodies of the SICS bus (docs/protocol.md §8.2, "Base64").
// Accepted: the standard alphabet with or without '=' padding, and line breaks in RFC 2045 style
// (CRLF or LF, anywhere, any line length, a trailing one too). Refused, each with the 0-based
// offset of the first bad character in the text as given: any other character (base64url's - and
// _, spaces, tabs, a CR without its LF), data after padding, more padding than the last group
// takes, incomplete padding ("Zg="), a last group of a single character, and non-zero bits after
// the last byte (non-canonical, as in strict). Everything before the first bad character is ASCII,
// so the offset is the same counted in UTF-16 units, code points or UTF-8 bytes.

export type Base64Result =
  | { ok: true; bytes: Buffer }
  /** `offset`: the 0-based offset of the first bad character (lenient reading only). */
  | { ok: false; error: string; offset?: number };

export interface Base64Options {
  /** The SICS bus reading: padding optional, CRLF/LF line breaks only, 0-based offsets. */
  lenient?: boolean;
}

const INVALID = -1;
const BLANK = -2; // space, tab
const CR = -3;
const LF = -4;
const PAD = -5;

const TABLE = (() => {
  const t = new Int8Array(256).fill(INVALID);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) t[alphabet.charCodeAt(i)] = i;
  t[0x20] = BLANK;
  t[0x09] = BLANK;
  t[0x0d] = CR;
  t[0x0a] = LF;
  t[0x3d] = PAD;
  return t;
})();

function describe(code: number): string {
  if (code < 0x20 || code === 0x7f)
    return `control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${String.fromCharCode(code)}"`;
}

/**
 * Decodes base64 text, or says what is wrong with it and where. Strict by default (attachment
 * content); `{ lenient: true }` is the SICS bus's reading of a Body.
 */
export function decodeBase64(text: string, options: Base64Options = {}): Base64Result {
  return options.lenient ? decodeLenient(text) : decodeStrict(text);
}

function decodeStrict(text: string): Base64Result {
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
    if (v === BLANK || v === CR || v === LF) continue;
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

/** A character for a message: the whole code point (a surrogate pair too), and its U+ number. */
function describeAt(text: string, i: number): string {
  const code = text.codePointAt(i)!;
  if (code === 0x20) return 'a space';
  if (code === 0x09) return 'a tab';
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  if (code < 0x20 || (code >= 0x7f && code < 0xa0)) return `control character ${hex}`;
  if (code < 0x7f) return `"${String.fromCodePoint(code)}"`;
  return `"${String.fromCodePoint(code)}" (${hex})`;
}

function refuse(offset: number, why: string): Base64Result {
  return { ok: false, offset, error: `at offset ${offset} (0-based), ${why}` };
}

function decodeLenient(text: string): Base64Result {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4) + 3);
  let written = 0;
  let quad = 0; // bits of the current group of four characters
  let inQuad = 0; // data characters of the current group so far
  let last = -1; // offset of the last data character
  let padStart = -1; // offset of the first '=', once there is one
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 256 ? TABLE[code] : INVALID;
    if (v >= 0) {
      if (padStart >= 0)
        return refuse(
          i,
          `"${text[i]}" follows the "=" padding at offset ${padStart}; padding may only end the Body (were two Base64 texts joined? Encode the whole document once)`,
        );
      quad = (quad << 6) | v;
      last = i;
      if (++inQuad === 4) {
        out[written++] = (quad >> 16) & 0xff;
        out[written++] = (quad >> 8) & 0xff;
        out[written++] = quad & 0xff;
        quad = 0;
        inQuad = 0;
      }
      continue;
    }
    if (v === LF) continue;
    if (v === CR) {
      if (text.charCodeAt(i + 1) === 0x0a) {
        i++;
        continue;
      }
      return refuse(
        i,
        'a carriage return (CR) is not followed by a line feed (LF); lines may only be separated by CRLF or LF',
      );
    }
    if (v === PAD) {
      if (padStart < 0) {
        // The first '=': only after the 2nd or 3rd character of the last group.
        if (inQuad === 0)
          return refuse(
            i,
            `"=" comes where data is expected: padding only fills out a last group of 2 or 3 characters${last >= 0 ? `, and the characters up to offset ${last} already form complete groups of 4` : ''}`,
          );
        if (inQuad === 1)
          return refuse(
            i,
            `"=" follows a single character (offset ${last}) of its group of 4; a group needs at least 2 characters before its padding, so the Body is cut off or has a character too many`,
          );
        padStart = i;
      } else if (inQuad + padding === 4) {
        return refuse(
          i,
          `one "=" too many: the padding from offset ${padStart} already completes the last group (2 characters take "==", 3 take "=", never more than two)`,
        );
      }
      padding++;
      continue;
    }
    if (v === BLANK)
      return refuse(
        i,
        `${describeAt(text, i)} is not allowed in Base64; only line breaks (CRLF or LF) may separate its lines`,
      );
    const c = text[i];
    return refuse(
      i,
      `${describeAt(text, i)} is not a standard Base64 character (A-Z, a-z, 0-9, + and /)${c === '-' || c === '_' ? '; this looks like URL-safe Base64: send + for - and / for _' : ''}`,
    );
  }
  if (padStart >= 0 && inQuad + padding !== 4)
    return refuse(
      padStart,
      `the padding is incomplete: a last group of 2 characters takes "==" (or no padding at all), not "="`,
    );
  if (inQuad === 1)
    return refuse(
      last,
      `the Body ends with a group of a single character ("${text[last]}"); a group carries 2 to 4 characters, so the Body is cut off or has a character too many`,
    );
  if (inQuad === 2) {
    // Two characters carry one byte; the low 4 bits of the second must be zero.
    if (quad & 0x0f) return nonCanonical(text, last);
    out[written++] = (quad >> 4) & 0xff;
  } else if (inQuad === 3) {
    // Three characters carry two bytes; the low 2 bits of the third must be zero.
    if (quad & 0x03) return nonCanonical(text, last);
    out[written++] = (quad >> 10) & 0xff;
    out[written++] = (quad >> 2) & 0xff;
  }
  return { ok: true, bytes: out.subarray(0, written) };
}

function nonCanonical(text: string, last: number): Base64Result {
  return refuse(
    last,
    `"${text[last]}" leaves bits after the last byte that are not zero (not canonical Base64, which no correct encoder writes); the Body was altered or its encoder is broken`,
  );
}
