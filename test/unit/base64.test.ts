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
