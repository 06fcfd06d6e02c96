// The response writer. Deliberately hand-written rather than xmlbuilder2: the documented
// envelope repeats xmlns:xsi on the payload element, which a namespace-aware serializer drops,
// a carriage return in a text must travel as &#13; to survive the client's parser, and this
// is the hot path of every request (a string writer is about ten times faster).

const INVALID_XML_CHARS =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const TEXT_SPECIALS = /[&<>\r]/g;
const ATTR_SPECIALS = /[&<>"\r\n\t]/g;
const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\r': '&#13;',
  '\n': '&#10;',
  '\t': '&#9;',
};

// Any character escapeText changes: most texts (ids, numbers, dates, plain titles) hold none and
// are returned as they are, one scan instead of two replacements.
const TEXT_CHANGES = /[&<>\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/;

/** Escapes text content; characters XML 1.0 cannot carry at all become U+FFFD. */
export function escapeText(s: string): string {
  if (!TEXT_CHANGES.test(s)) return s;
  return s.replace(INVALID_XML_CHARS, '\uFFFD').replace(TEXT_SPECIALS, (c) => ESCAPES[c]);
}

export function escapeAttr(s: string): string {
  return s.replace(INVALID_XML_CHARS, '\uFFFD').replace(ATTR_SPECIALS, (c) => ESCAPES[c]);
}

const PADS = Array.from({ length: 24 }, (_, depth) => '  '.repeat(depth));

/** Collects indented lines; two spaces per level, as in the documented examples. */
export class XmlLines {
  readonly lines: string[] = [];

  private pad(depth: number): string {
    return PADS[depth] ?? '  '.repeat(depth);
  }

  open(depth: number, name: string, attrs = ''): void {
    this.lines.push(`${this.pad(depth)}<${name}${attrs}>`);
  }

  close(depth: number, name: string): void {
    this.lines.push(`${this.pad(depth)}</${name}>`);
  }

  empty(depth: number, name: string, attrs = ''): void {
    this.lines.push(`${this.pad(depth)}<${name}${attrs}/>`);
  }

  leaf(depth: number, name: string, text: string): void {
    if (text === '') this.empty(depth, name);
    else this.lines.push(`${this.pad(depth)}<${name}>${escapeText(text)}</${name}>`);
  }
}
