// The reader's way with megabytes of attachment text: <Content> is read as a
// stop node, cut out of the body in one piece, and falls back to the ordinary reading when its
// raw text holds markup, so what comes out is the same either way.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { MAX_DEPTH, readXml } from '../../src/protocol/xml-reader';

const content = (xml: string) => readXml(`<A><B>${xml}</B></A>`).children[0].children[0];

test('<Content> text with entities, CDATA, comments or elements reads as any other element would', () => {
  expect(content('<Content>QUJD&#x0A;&amp;&lt;</Content>')).toEqual({
    name: 'Content',
    attrs: {},
    children: [],
    text: 'QUJD\n&<',
  });
  expect(content('<Content>QUJD<![CDATA[<x>]]>REVG</Content>').text).toBe('QUJD<x>REVG');
  expect(content('<Content>QUJD<!-- a comment -->REVG</Content>').text).toBe('QUJDREVG');
  expect(content('<Content k="v&amp;w">QUJD<?pi x?>REVG</Content>')).toEqual({
    name: 'Content',
    attrs: { k: 'v&w' },
    children: [],
    text: 'QUJDREVG',
  });
  expect(content('<Content>QU<x:Content>JD</x:Content><B/>RE</Content>')).toEqual({
    name: 'Content',
    attrs: {},
    children: [
      { name: 'Content', attrs: {}, children: [], text: 'JD' },
      { name: 'B', attrs: {}, children: [], text: '' },
    ],
    text: 'QURE',
  });
  expect(content('<Content/>')).toEqual({ name: 'Content', attrs: {}, children: [], text: '' });
  expect(() => content('<Content>&nbsp;</Content>')).toThrow(
    'unknown entity or character reference &nbsp;',
  );
  // The stop node's text is not checked by the parser: the validator, which reads everything, refuses these.
  expect(() => content('<Content>QU<JD</Content>')).toThrow('Malformed XML at line 1');
  expect(() => content('<Content>QU<b>JD</Content>')).toThrow('Malformed XML at line 1');
});

test('a <Content> deeper than the nesting limit is refused like any element', () => {
  const at = (depth: number) =>
    `${'<a>'.repeat(depth - 1)}<Content>QUJD</Content>${'</a>'.repeat(depth - 1)}`;
  expect(() => readXml(at(MAX_DEPTH))).not.toThrow();
  expect(() => readXml(at(MAX_DEPTH + 1))).toThrow(`nested deeper than ${MAX_DEPTH} levels`);
});

test('a 4 MB <Content> is read within a 64 MB heap (character by character it needs over 100 MB)', () => {
  const script = `
    const { readXml } = require('./src/protocol/xml-reader');
    const text = require('crypto').randomBytes(3 * 1024 * 1024).toString('base64');
    const root = readXml('<A><Attachment><Content>' + text + '</Content></Attachment></A>');
    if (root.children[0].children[0].text !== text) throw new Error('the text did not come back');
    console.log('read');`;
  const out = execFileSync(
    process.execPath,
    ['--max-old-space-size=64', '-r', 'ts-node/register/transpile-only', '-e', script],
    {
      cwd: path.join(__dirname, '../..'),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  expect(out.trim()).toBe('read');
});
