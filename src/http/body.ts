// What every HTTP transport checks of a request body before the core reads it: its media type,
// its charset and whether its bytes are UTF-8.
import { invalidUtf8Offset } from './utf8';

/** What /acmp answers for a body that is not UTF-8 (the SOAP transport says the same in its fault). */
export function notUtf8(raw: Buffer): string {
  const at = invalidUtf8Offset(raw);
  const bytes = [...raw.subarray(at, at + 4)]
    .map((b) => b.toString(16).toUpperCase().padStart(2, '0'))
    .join(' ');
  return `The request body is not valid UTF-8 at byte offset ${at} (bytes ${bytes}); send it in UTF-8. Nothing was stored`;
}

/** A Content-Type header: its media type and charset in lower case, its parameters as sent. */
export function contentType(header: string): {
  type: string;
  charset?: string;
  params: Record<string, string>;
} {
  const [type, ...rest] = header.split(';').map((p) => p.trim());
  const params: Record<string, string> = {};
  for (const p of rest) {
    const at = p.indexOf('=');
    if (at > 0)
      params[p.slice(0, at).trim().toLowerCase()] = p
        .slice(at + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.toLowerCase(), charset: params.charset?.toLowerCase(), params };
}

/** Whether a charset parameter (when sent) names UTF-8, the only encoding read. */
export function isUtf8Charset(charset: string | undefined): boolean {
  return !charset || charset === 'utf-8' || charset === 'utf8';
}
