// The strict base64 decoder of attachment content: exact bytes for every valid text, a
// reason naming the position for every invalid one, and linear time on large inputs.
import { randomBytes } from 'node:crypto';
import { decodeBase64 } from '../../src/domain/base64';

function bytesOf(text: string): Buffer {
  const r = decodeBase64(text);
  if (!r.ok) throw new Error(`expected valid base64, got: ${r.error}`);
  return r.bytes;
}

function errorOf(text: string): string {
  const r = decodeBase64(text);
  if (r.ok)
    throw new Error(`expected ${JSON.stringify(text)} to be refused, got ${r.bytes.length} bytes`);
  return r.error;
}

describe('decodeBase64 accepts', () => {
  test.each([
    ['', ''],
    ['Zg==', 'f'],
    ['Zm8=', 'fo'],
    ['Zm9v', 'foo'],
    ['Zm9vYg==', 'foob'],
    ['Zm9vYmE=', 'fooba'],
    ['Zm9vYmFy', 'foobar'],
  ])('the RFC 4648 test vector %j', (text, plain) => {
    expect(bytesOf(text).toString('latin1')).toBe(plain);
  });

  test('every length from 0 to 300 of random bytes, byte for byte', () => {
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n);
      expect(bytesOf(data.toString('base64')).equals(data)).toBe(true);
    }
  });

  test('all 256 byte values', () => {
    const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    expect(bytesOf(data.toString('base64')).equals(data)).toBe(true);
  });

  test('MIME line breaks, CRLF, tabs and spaces anywhere', () => {
    const data = randomBytes(1000);
    const wrapped = data.toString('base64').replace(/.{76}/g, '$&\r\n');
    expect(bytesOf(wrapped).equals(data)).toBe(true);
    expect(bytesOf(' \tZm9v\nYm\r\nFy \n').toString()).toBe('foobar');
    expect(bytesOf('Zm8 =').toString()).toBe('fo');
    expect(bytesOf('Zg= =').toString()).toBe('f');
  });

  test('only whitespace as zero bytes', () => {
    expect(bytesOf(' \n\t ').length).toBe(0);
  });
});

describe('decodeBase64 refuses', () => {
  test.each([
    ['Zm9v!mFy', /character 5 is "!"/],
    ['Zm9v-_Fy', /character 5 is "-"/], // base64url is not base64
    ['Zm9\u00e9', /character 4 is "\u00e9"/],
    ['Zm9\u20ac', /character 4 is "\u20ac"/],
    ['Zm9\u0000', /character 4 is control character U\+0000/],
    ['Zm9', /3 base64 characters .* not a multiple of 4/],
    ['Zm9vY', /5 base64 characters/],
    ['Zg=', /3 base64 characters/],
    ['Zg', /2 base64 characters/],
    ['Z===', /character 2 is padding/],
    ['====', /character 1 is padding/],
    ['Zm9v=', /character 5 is padding/],
    ['Zm9=v', /character 5 follows the "=" padding/],
    ['Zg==Zm9v', /character 5 follows the "=" padding/],
    ['Zm9v====', /character 5 is padding/],
    ['Zg===', /character 5 is padding/],
    ['Zh==', /non-canonical/], // 'h' leaves bits set after the one byte
    ['Zm9=', /non-canonical/],
  ])('%j', (text, reason) => {
    expect(errorOf(text)).toMatch(reason);
  });
});

test('decodes 16 MB of base64 in linear time, and a hostile text fails on its first bad character', () => {
  const data = randomBytes(12 * 1024 * 1024);
  expect(bytesOf(data.toString('base64')).equals(data)).toBe(true);
  // A long valid prefix followed by garbage is reported at its position.
  expect(errorOf(`${'A'.repeat(8 * 1024 * 1024)}=!`)).toBe(
    'character 8388609 is padding "=" where data is expected',
  );
  expect(errorOf(`${'A'.repeat(8 * 1024 * 1024)}!`)).toBe(
    'character 8388609 is "!", which is not a base64 character',
  );
});

// The SICS bus's reading of a Body (docs/protocol.md §8.2, "Base64"): standard Base64 with or
// without padding and with or without RFC 2045 line breaks; anything else refused with the
// 0-based offset of the first bad character in the text as sent.
describe('decodeBase64 lenient (SICS Body)', () => {
  function lenientBytes(text: string): Buffer {
    const r = decodeBase64(text, { lenient: true });
    if (!r.ok) throw new Error(`expected ${JSON.stringify(text)} to be accepted, got: ${r.error}`);
    return r.bytes;
  }
  function lenientError(text: string): { offset: number | undefined; error: string } {
    const r = decodeBase64(text, { lenient: true });
    if (r.ok)
      throw new Error(
        `expected ${JSON.stringify(text)} to be refused, got ${r.bytes.length} bytes`,
      );
    return { offset: r.offset, error: r.error };
  }
  const wrap = (text: string, width: number, eol: string) =>
    text.replace(new RegExp(`.{${width}}`, 'g'), `$&${eol}`);

  describe('accepts', () => {
    test.each([
      ['', ''],
      ['Zg==', 'f'],
      ['Zm8=', 'fo'],
      ['Zm9v', 'foo'],
      ['Zm9vYg==', 'foob'],
      ['Zm9vYmE=', 'fooba'],
      ['Zm9vYmFy', 'foobar'],
    ])('padded: the RFC 4648 test vector %j', (text, plain) => {
      expect(lenientBytes(text).toString('latin1')).toBe(plain);
    });

    test.each([
      ['Zg', 'f'], // length 2 mod 4
      ['Zm8', 'fo'], // length 3 mod 4
      ['Zm9vYg', 'foob'],
      ['Zm9vYmE', 'fooba'],
    ])('unpadded: %j', (text, plain) => {
      expect(lenientBytes(text).toString('latin1')).toBe(plain);
    });

    test('every length from 0 to 300 of random bytes, padded and unpadded, byte for byte', () => {
      for (let n = 0; n <= 300; n++) {
        const data = randomBytes(n);
        const padded = data.toString('base64');
        expect(lenientBytes(padded).equals(data)).toBe(true);
        expect(lenientBytes(padded.replace(/=+$/, '')).equals(data)).toBe(true);
      }
    });

    test('all 256 byte values', () => {
      const data = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      expect(lenientBytes(data.toString('base64')).equals(data)).toBe(true);
    });

    test.each([
      ['CRLF', '\r\n'],
      ['LF', '\n'],
    ])(
      '%s line breaks at 76 columns (MIME), padded and unpadded, with and without a trailing one',
      (_name, eol) => {
        for (const n of [1000, 1001, 1002, 57, 0]) {
          const data = randomBytes(n);
          const padded = data.toString('base64');
          for (const text of [padded, padded.replace(/=+$/, '')]) {
            const wrapped = wrap(text, 76, eol);
            expect(lenientBytes(wrapped).equals(data)).toBe(true);
            expect(lenientBytes(wrapped + eol).equals(data)).toBe(true);
            if (n === 1000) expect(wrapped).toContain(eol); // the case really is wrapped
          }
        }
      },
    );

    test('line breaks at odd places: every line length, inside groups and inside the padding', () => {
      const data = randomBytes(200);
      const text = data.toString('base64'); // 268 characters, ends in "=="
      for (let width = 1; width <= 80; width++) {
        expect(lenientBytes(wrap(text, width, '\r\n')).equals(data)).toBe(true);
        expect(lenientBytes(wrap(text, width, '\n')).equals(data)).toBe(true);
      }
      expect(lenientBytes('Zm9v\r\nYmFy').toString()).toBe('foobar');
      expect(lenientBytes('Zm\n9vY\r\nmFy').toString()).toBe('foobar');
      expect(lenientBytes('Zg=\r\n=').toString()).toBe('f'); // a break between the two '='
      expect(lenientBytes('Zm8\n=').toString()).toBe('fo');
      expect(lenientBytes('\r\nZm9v\n\n\r\n\r\nYmFy\n').toString()).toBe('foobar'); // empty lines
      expect(lenientBytes('Zm9v\r\n\nYmE\n').toString()).toBe('fooba'); // CRLF and LF mixed
    });

    test.each([
      ['Zm9vYmFy\r\n', 'foobar'],
      ['Zm9vYmFy\n', 'foobar'],
      ['Zg==\r\n', 'f'],
      ['Zg\n', 'f'],
      ['Zm8\r\n', 'fo'],
    ])('a trailing line break: %j', (text, plain) => {
      expect(lenientBytes(text).toString()).toBe(plain);
    });

    test.each(['', '\n', '\r\n', '\r\n\n'])(
      'an empty Body, or line breaks only (%j), as zero bytes',
      (text) => {
        expect(lenientBytes(text).length).toBe(0);
      },
    );

    test('the default reading stays strict: no unpadded text, while lenient takes it', () => {
      expect(decodeBase64('Zg').ok).toBe(false);
      expect(decodeBase64('Zg', { lenient: false }).ok).toBe(false);
      expect(decodeBase64('Zg', { lenient: true }).ok).toBe(true);
    });
  });

  describe('refuses, naming the 0-based offset of the first bad character', () => {
    test.each([
      // Characters outside the alphabet.
      ['Zm9v!mFy', 4, /"!" is not a standard Base64 character/],
      ['!', 0, /"!" is not a standard Base64 character/],
      ['Zm9v-mFy', 4, /"-" is not a standard Base64 character.*URL-safe Base64: send \+ for -/],
      ['Zm9vY_Fy', 5, /"_" is not a standard Base64 character.*URL-safe/],
      ['Zm9\u00e9', 3, /"\u00e9" \(U\+00E9\) is not a standard Base64 character/],
      ['Zm9v\u20acA', 4, /"\u20ac" \(U\+20AC\)/],
      ['Zm\u{1F600}9v', 2, /"\u{1F600}" \(U\+1F600\)/u], // a surrogate pair, shown whole
      ['Zm9\u0000', 3, /control character U\+0000/],
      ['Zm9v.', 4, /"\." is not a standard Base64/],
      // Whitespace other than line breaks.
      ['Zm9v YmFy', 4, /a space is not allowed in Base64; only line breaks \(CRLF or LF\)/],
      ['Zm9v\tYmFy', 4, /a tab is not allowed/],
      [' Zm9v', 0, /a space/],
      ['Zm9v \r\nYmFy', 4, /a space/], // trailing blank on a line
      ['Zm9vYmFy\n ', 9, /a space/],
      ['Zm9v\u000bYmFy', 4, /control character U\+000B/], // vertical tab
      ['Zm9v\fYmFy', 4, /control character U\+000C/], // form feed
      // A CR without its LF (a line break is CRLF or LF).
      ['Zm9v\rYmFy', 4, /carriage return \(CR\) is not followed by a line feed/],
      ['Zm9vYmFy\r', 8, /carriage return/],
      ['Zm9v\r\r\nYmFy', 4, /carriage return/],
      // Padding in the middle: the first data character after it.
      ['Zg==Zm9v', 4, /"Z" follows the "=" padding at offset 2; padding may only end the Body/],
      ['Zm9=v', 4, /"v" follows the "=" padding at offset 3/],
      ['Zg==\r\nZg==', 6, /"Z" follows the "=" padding at offset 2/],
      ['Zg=\nA', 4, /"A" follows the "=" padding at offset 2/],
      // Padding where data is expected.
      ['=', 0, /"=" comes where data is expected/],
      ['====', 0, /"=" comes where data is expected/],
      ['Zm9v=', 4, /"=" comes where data is expected.*up to offset 3 already form complete groups/],
      ['Zm9v\n=', 5, /"=" comes where data is expected/],
      ['Z===', 1, /"=" follows a single character \(offset 0\)/],
      ['Zm9vY=', 5, /"=" follows a single character \(offset 4\)/],
      ['Zm9vY\r\n==', 7, /"=" follows a single character \(offset 4\)/],
      // More than two '=', or more than the last group takes.
      ['Zg===', 4, /one "=" too many: the padding from offset 2 already completes the last group/],
      ['Zg==\r\n=', 6, /one "=" too many/],
      ['Zm8==', 4, /one "=" too many: the padding from offset 3/],
      ['Zm9vYg====', 8, /one "=" too many/],
      // Incomplete padding: "==" or none after two characters.
      ['Zg=', 2, /the padding is incomplete: a last group of 2 characters takes "=="/],
      ['Zm9vZg=\n', 6, /the padding is incomplete/],
      // Impossible lengths: a last group of a single character.
      ['Z', 0, /the Body ends with a group of a single character \("Z"\).*cut off/],
      ['Zm9vY', 4, /a group of a single character \("Y"\)/],
      ['Zm9vY\r\n', 4, /a group of a single character/],
      ['Zm9v\nYmFy\nY\n', 10, /a group of a single character/],
      // Non-zero bits after the last byte (non-canonical): the character that holds them.
      ['Zh', 1, /"h" leaves bits after the last byte that are not zero/],
      ['Zh==', 1, /"h" leaves bits/],
      ['Zm9', 2, /"9" leaves bits/],
      ['Zm9=', 2, /"9" leaves bits/],
    ])('%j at offset %d', (text, offset, reason) => {
      const refused = lenientError(text);
      expect(refused.offset).toBe(offset);
      expect(refused.error).toMatch(reason);
      expect(refused.error.startsWith(`at offset ${offset} (0-based), `)).toBe(true);
    });

    test('the offset counts line breaks as sent: CRLF is two characters, LF one', () => {
      const lines = `${'A'.repeat(76)}\r\n${'A'.repeat(76)}\n${'A'.repeat(8)}`;
      expect(lenientError(`${lines}-AAA`).offset).toBe(76 + 2 + 76 + 1 + 8);
    });
  });

  test('decodes 16 MB of wrapped, unpadded Base64 in linear time, and finds a bad character at its offset', () => {
    const data = randomBytes(12 * 1024 * 1024 + 1);
    const text = wrap(data.toString('base64').replace(/=+$/, ''), 76, '\r\n');
    const started = Date.now();
    expect(lenientBytes(text).equals(data)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    const bad = `${'A'.repeat(8 * 1024 * 1024)}=!`;
    expect(lenientError(bad)).toEqual({
      offset: 8 * 1024 * 1024,
      error: expect.stringMatching(/^at offset 8388608 \(0-based\), "=" comes where data/),
    });
    expect(lenientError(`${'A'.repeat(8 * 1024 * 1024)}!`).offset).toBe(8 * 1024 * 1024);
  });
});
