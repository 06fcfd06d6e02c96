// escapeText skips texts that need no change (rendering cost); the answer must be the
// same as the full replacement for every character, alone, in text and in surrogate pairs.
import { escapeText } from '../../src/protocol/xml-writer';

const INVALID =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '\r': '&#13;' };
const reference = (s: string) =>
  s.replace(INVALID, '\uFFFD').replace(/[&<>\r]/g, (c) => ESCAPES[c]);

test('escapeText answers as the full replacement for every UTF-16 code unit', () => {
  const differing: string[] = [];
  for (let code = 0; code <= 0xffff; code++) {
    const text = `a${String.fromCharCode(code)}b`;
    if (escapeText(text) !== reference(text)) differing.push(code.toString(16));
  }
  expect(differing).toEqual([]);
});

test('escapeText keeps surrogate pairs and plain text as they are, and escapes markup', () => {
  expect(escapeText('Drucker überhitzt 🖨')).toBe('Drucker überhitzt 🖨');
  expect(escapeText('{C1000000-0000-4000-8000-000000000001}')).toBe(
    '{C1000000-0000-4000-8000-000000000001}',
  );
  expect(escapeText('<p>a & b</p>\r\n')).toBe('&lt;p&gt;a &amp; b&lt;/p&gt;&#13;\n');
  expect(escapeText('x\u0000y\uD800z')).toBe('x\uFFFDy\uFFFDz');
});
