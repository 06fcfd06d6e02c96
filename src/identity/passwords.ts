// Passwords (docs/protocol.md §5). A client never sends the password itself but PasswordHash: the
// lower-case hex SHA-256 of the password's UTF-8 bytes. That digest is what we protect: we store
// scrypt(sha256hex(password)) with a random salt per password, so a received PasswordHash is
// verified directly, and the stored form is useless to replay as a PasswordHash.
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

// scrypt cost: N=2^14, r=8 (16 MiB, about 50 ms per hash). Written into every stored hash, so
// raising it later keeps old hashes verifiable.
const N = 16384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function scryptAsync(
  secret: string,
  salt: Buffer,
  keyLength: number,
  n: number,
  r: number,
  p: number,
): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, keyLength, { N: n, r, p, maxmem: 256 * n * r }, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** What a client sends as PasswordHash for this password: lower-case hex SHA-256 of its UTF-8 bytes. */
export function passwordHashOf(plain: string): string {
  return createHash('sha256').update(plain, 'utf8').digest('hex');
}

/** The stored form of a PasswordHash (hex SHA-256): `scrypt$N$r$p$<salt base64>$<key base64>`. */
export async function hashPasswordHash(passwordHashHex: string): Promise<string> {
  const digest = passwordHashHex.toLowerCase();
  if (!HEX_SHA256.test(digest)) throw new Error('a PasswordHash is 64 hex digits (SHA-256)');
  const salt = randomBytes(SALT_LENGTH);
  const key = await scryptAsync(digest, salt, KEY_LENGTH, N, R, P);
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

/** The stored form of a plain password (seed files, the users CLI). */
export function hashPassword(plain: string): Promise<string> {
  return hashPasswordHash(passwordHashOf(plain));
}

/**
 * True when `passwordHashHex` (what the client sent) matches the stored hash. False, never an
 * error, for a malformed PasswordHash or stored value; the comparison takes constant time.
 */
export async function verifyPasswordHash(
  stored: string,
  passwordHashHex: string,
): Promise<boolean> {
  const parts = stored.split('$');
  const digest = passwordHashHex.toLowerCase();
  if (parts.length !== 6 || parts[0] !== 'scrypt' || !HEX_SHA256.test(digest)) return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  if (![n, r, p].every((v) => Number.isInteger(v) && v > 0) || n > 1 << 20 || expected.length === 0)
    return false;
  const actual = await scryptAsync(digest, salt, expected.length, n, r, p);
  return timingSafeEqual(actual, expected);
}

// Verified against when the user name is unknown, so that the answer takes as long either way.
let dummy: Promise<string> | undefined;
export async function verifyAgainstNothing(passwordHashHex: string): Promise<false> {
  dummy ??= hashPassword('');
  await verifyPasswordHash(await dummy, passwordHashHex);
  return false;
}
