// The offset named when a body is not UTF-8 (src/http/utf8.ts) agrees with node's own check.
import { isUtf8 } from 'node:buffer';
import { invalidUtf8Offset } from '../../src/http/utf8';

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const hex = (bytes: string) => Buffer.from(bytes.replace(/ /g, ''), 'hex');

test.each([
  ['valid text of 1 to 4 bytes a character', utf8('a é € 😀 \uFFFD'), -1],
  ['a stray continuation byte', Buffer.concat([utf8('ab'), hex('80')]), 2],
  ['a lead byte at the end', Buffer.concat([utf8('abc'), hex('C3')]), 3],
  ['a lead byte followed by ASCII', Buffer.concat([utf8('a'), hex('C3'), utf8('(b')]), 1],
  ['an overlong "/" (C0 AF)', Buffer.concat([utf8('x'), hex('C0 AF')]), 1],
  ['an overlong 3-byte form (E0 80 AF)', hex('E0 80 AF'), 0],
  ['an encoded surrogate (ED A0 80)', Buffer.concat([utf8('ok'), hex('ED A0 80')]), 2],
  ['past U+10FFFF (F4 90 80 80)', hex('F4 90 80 80'), 0],
  ['FF after a 2-byte character', Buffer.concat([utf8('é'), hex('FF')]), 2],
  ['a 4-byte character cut short', Buffer.concat([utf8('😀'), hex('F0 9F 98')]), 4],
])('%s', (_n, bytes, offset) => {
  expect(invalidUtf8Offset(bytes)).toBe(offset);
});

test('agrees with buffer.isUtf8 on random bytes, and everything before the offset is UTF-8', () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let n = 0; n < 5000; n++) {
    const bytes = Buffer.from(
      Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        random() < 0.5 ? Math.floor(random() * 128) : 0x80 + Math.floor(random() * 128),
      ),
    );
    const at = invalidUtf8Offset(bytes);
    expect(at === -1).toBe(isUtf8(bytes));
    if (at >= 0) expect(isUtf8(bytes.subarray(0, at))).toBe(true);
  }
});
