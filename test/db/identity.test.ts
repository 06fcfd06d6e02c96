// The identity store (docs/protocol.md §5): passwords, users and permissions, sessions shared by
// instances, tokens kept only as hashes, login throttling, and the seed's Roles and Passwords.
import { connect } from '../../src/db/connection';
import { loadSeed } from '../../src/db/seed';
import {
  hashPassword,
  hashPasswordHash,
  passwordHashOf,
  verifyPasswordHash,
} from '../../src/identity/passwords';
import {
  bindSession,
  endSession,
  isValidSessionId,
  sessionCaller,
  sessionUser,
} from '../../src/identity/sessions';
import {
  clearLoginFailures,
  loginLockedUntil,
  recordLoginFailure,
} from '../../src/identity/throttle';
import { createToken, listTokens, revokeTokens, verifyToken } from '../../src/identity/tokens';
import { authenticatePassword, callerOf, setDisabled, setPassword } from '../../src/identity/users';
import { createTestDatabase, type TestDatabase } from '../support/db';

const ANNA = '10000000-0000-4000-8000-000000000001';
const BEN = '10000000-0000-4000-8000-000000000002';
const CARLA = '10000000-0000-4000-8000-000000000003';
const GROUP = '20000000-0000-4000-8000-000000000001';
const SESSION = 'session-0123456789abcdef0123456789abcdef';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
beforeEach(() => database.reset());
afterAll(() => database.close());

describe('passwords', () => {
  test('the client sends the SHA-256 hex of the password: that verifies, anything else does not', async () => {
    const stored = await hashPassword('correct horse');
    expect(passwordHashOf('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    ); // the SHA-256 test vector
    expect(await verifyPasswordHash(stored, passwordHashOf('correct horse'))).toBe(true);
    expect(await verifyPasswordHash(stored, passwordHashOf('correct horse').toUpperCase())).toBe(
      true,
    );
    expect(await verifyPasswordHash(stored, passwordHashOf('Correct horse'))).toBe(false);
    // The plain password is not what the client sends, and the stored form is no PasswordHash.
    expect(await verifyPasswordHash(stored, 'correct horse')).toBe(false);
    expect(await verifyPasswordHash(stored, stored)).toBe(false);
    expect(await verifyPasswordHash('garbage', passwordHashOf('correct horse'))).toBe(false);
  });

  test('every hash has its own salt, and the stored form names its parameters', async () => {
    const a = await hashPasswordHash(passwordHashOf('same'));
    const b = await hashPasswordHash(passwordHashOf('same'));
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toContain(passwordHashOf('same'));
    expect(await verifyPasswordHash(a, passwordHashOf('same'))).toBe(true);
    expect(await verifyPasswordHash(b, passwordHashOf('same'))).toBe(true);
  });
});

describe('users', () => {
  test('a user logs in with its PasswordHash, by name ignoring case; wrong, unknown, group and disabled do not', async () => {
    expect(
      await authenticatePassword(database.db, 'Anna Admin', passwordHashOf('anna-demo-password')),
    ).toBe(ANNA);
    expect(
      await authenticatePassword(database.db, 'anna admin', passwordHashOf('anna-demo-password')),
    ).toBe(ANNA);
    expect(
      await authenticatePassword(database.db, 'Anna Admin', passwordHashOf('ben-demo-password')),
    ).toBeUndefined();
    expect(
      await authenticatePassword(database.db, 'Nobody', passwordHashOf('anna-demo-password')),
    ).toBeUndefined();
    expect(
      await authenticatePassword(database.db, 'First Level Support', passwordHashOf('')),
    ).toBeUndefined();
    await setDisabled(database.db, BEN, true);
    expect(
      await authenticatePassword(database.db, 'Ben Support', passwordHashOf('ben-demo-password')),
    ).toBeUndefined();
    // Without a password, no login at all.
    await database.db('assignees').where({ id: CARLA }).update({ password_hash: null });
    expect(
      await authenticatePassword(database.db, 'Carla Field', passwordHashOf('carla-demo-password')),
    ).toBeUndefined();
  });

  test("a caller's permissions are the union of its roles' permissions; groups, unknown and disabled users are no callers", async () => {
    expect(await callerOf(database.db, ANNA)).toEqual({
      id: ANNA,
      name: 'Anna Admin',
      permissions: [
        'ADMIN',
        'SET_STATUS',
        'TICKET_BATCH',
        'TICKET_CREATE',
        'TICKET_DELETE',
        'TICKET_READ',
        'TICKET_UPDATE',
      ],
    });
    expect(await callerOf(database.db, BEN)).toEqual({
      id: BEN,
      name: 'Ben Support',
      permissions: ['SET_STATUS', 'TICKET_CREATE', 'TICKET_READ', 'TICKET_UPDATE'],
    });
    await database
      .db('assignees')
      .where({ id: CARLA })
      .update({ roles: ['ReadOnly', 'NoSuchRole', 'Technician'] });
    expect((await callerOf(database.db, CARLA))?.permissions).toEqual([
      'SET_STATUS',
      'TICKET_READ',
      'TICKET_UPDATE',
    ]);
    expect(await callerOf(database.db, GROUP)).toBeUndefined();
    expect(await callerOf(database.db, '10000000-0000-4000-8000-0000000000ff')).toBeUndefined();
    await setDisabled(database.db, BEN, true);
    expect(await callerOf(database.db, BEN)).toBeUndefined();
  });

  test("a new password takes effect at once and ends the user's sessions", async () => {
    await bindSession(database.db, SESSION, BEN);
    await setPassword(database.db, BEN, 'new secret');
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
    expect(
      await authenticatePassword(database.db, 'Ben Support', passwordHashOf('ben-demo-password')),
    ).toBeUndefined();
    expect(
      await authenticatePassword(database.db, 'Ben Support', passwordHashOf('new secret')),
    ).toBe(BEN);
  });

  test('a role can only grant the permissions of the spec', async () => {
    await expect(
      database.db('roles').insert({ name: 'Bad', permissions: ['TICKET_READ', 'EVERYTHING'] }),
    ).rejects.toThrow(/check constraint/);
  });

  test('two users who can log in cannot share a name, ignoring case', async () => {
    await expect(
      database.db('assignees').insert({
        id: '10000000-0000-4000-8000-000000000009',
        name: 'ANNA ADMIN',
        password_hash: 'x',
      }),
    ).rejects.toThrow(/assignees_login_name/);
    // Without a password the name may repeat (ACMP allows it; such a user cannot log in).
    await database
      .db('assignees')
      .insert({ id: '10000000-0000-4000-8000-000000000009', name: 'ANNA ADMIN' });
  });
});

describe('sessions', () => {
  const age = (column: string, minutes: number) =>
    database.db.raw(`update sessions set ${column} = ${column} - ? * interval '1 minute'`, [
      minutes,
    ]);

  test('a session id is at least 32 characters of [A-Za-z0-9-_{}]', () => {
    expect(isValidSessionId(SESSION)).toBe(true);
    expect(isValidSessionId('{6A1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A09}')).toBe(true);
    expect(isValidSessionId('short')).toBe(false);
    expect(isValidSessionId('x'.repeat(31))).toBe(false);
    expect(isValidSessionId(`${'x'.repeat(32)} `)).toBe(false);
  });

  test('bound to one user; binding it to another user is refused, to the same user again is fine; ended on logout', async () => {
    expect(await bindSession(database.db, SESSION, ANNA)).toBe(true);
    expect(await sessionUser(database.db, SESSION)).toBe(ANNA);
    expect(await bindSession(database.db, SESSION, BEN)).toBe(false);
    expect(await sessionUser(database.db, SESSION)).toBe(ANNA);
    expect(await bindSession(database.db, SESSION, ANNA)).toBe(true);
    expect(
      await sessionUser(database.db, 'unknown-0123456789abcdef0123456789abcdef'),
    ).toBeUndefined();
    await endSession(database.db, SESSION);
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
  });

  test('ends after the idle time without use; each use keeps it alive', async () => {
    await bindSession(database.db, SESSION, ANNA);
    await age('last_seen', 29);
    expect(await sessionUser(database.db, SESSION)).toBe(ANNA); // used: last_seen is now again
    await age('last_seen', 29);
    expect(await sessionUser(database.db, SESSION)).toBe(ANNA);
    await age('last_seen', 31);
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
    // The limits are parameters.
    expect(
      await sessionUser(database.db, SESSION, { idleMs: 40 * 60_000, absoluteMs: 12 * 3_600_000 }),
    ).toBe(ANNA);
  });

  test('a session in use is written at most every 30 s (a read per request, not a write), and answers its caller with permissions', async () => {
    await bindSession(database.db, SESSION, ANNA);
    const lastSeen = async () =>
      (await database.db('sessions').first('last_seen').where({ id: SESSION })).last_seen.getTime();
    await age('last_seen', 0.25); // 15 s ago: fresh enough, not written again
    const before = await lastSeen();
    expect(await sessionCaller(database.db, SESSION)).toMatchObject({
      id: ANNA,
      permissions: expect.arrayContaining(['ADMIN']),
    });
    expect(await lastSeen()).toBe(before);
    await age('last_seen', 0.75); // 45 s ago: written
    await sessionCaller(database.db, SESSION);
    expect(await lastSeen()).toBeGreaterThan(before + 10_000);
  });

  test('ends 12 hours after it was bound however much it is used; an ended session may be bound to someone else', async () => {
    await bindSession(database.db, SESSION, ANNA);
    await age('ends_at', 11 * 60);
    expect(await sessionUser(database.db, SESSION)).toBe(ANNA);
    await age('ends_at', 61);
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
    expect(await bindSession(database.db, SESSION, BEN)).toBe(true);
    expect(await sessionUser(database.db, SESSION)).toBe(BEN);
    await bindSession(database.db, SESSION, BEN, { idleMs: 60_000, absoluteMs: 60_000 });
    await age('ends_at', 2);
    expect(
      await sessionUser(database.db, SESSION, { idleMs: 3_600_000, absoluteMs: 60_000 }),
    ).toBeUndefined();
  });

  test("a disabled user's sessions end, and stay ended when it is enabled again", async () => {
    await bindSession(database.db, SESSION, BEN);
    await database.db('assignees').where({ id: BEN }).update({ disabled: true }); // by SQL or a tool: no session survives it
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
    await database.db('assignees').where({ id: BEN }).update({ disabled: false });
    expect(await sessionUser(database.db, SESSION)).toBe(BEN);
    await setDisabled(database.db, BEN, true);
    await setDisabled(database.db, BEN, false);
    expect(await sessionUser(database.db, SESSION)).toBeUndefined();
  });

  test('two gateway instances (two connection pools on one database) share sessions', async () => {
    const other = connect(process.env.TEST_DATABASE_URL!, {
      searchPath: database.schema,
      poolMax: 2,
    });
    try {
      expect(await bindSession(database.db, SESSION, ANNA)).toBe(true);
      expect(await sessionUser(other, SESSION)).toBe(ANNA);
      expect(await bindSession(other, SESSION, BEN)).toBe(false);
      // Both log in on one new session at once: exactly one wins.
      const id = 'race-0123456789abcdef0123456789abcdef';
      const results = await Promise.all([
        bindSession(database.db, id, ANNA),
        bindSession(other, id, BEN),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      await endSession(other, SESSION);
      expect(await sessionUser(database.db, SESSION)).toBeUndefined();
    } finally {
      await other.destroy();
    }
  });
});

describe('tokens', () => {
  test('the plain token is returned once and never stored; it verifies for its user only', async () => {
    const { id, token } = await createToken(database.db, ANNA);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const stored = JSON.stringify(await database.db('tokens').select('*'));
    expect(stored).not.toContain(token);
    expect(await verifyToken(database.db, ANNA, token)).toBe(true);
    expect(await verifyToken(database.db, ANNA, token.toUpperCase())).toBe(true);
    expect(await verifyToken(database.db, BEN, token)).toBe(false);
    expect(
      await verifyToken(
        database.db,
        ANNA,
        `${token.slice(0, -1)}${token.endsWith('0') ? '1' : '0'}`,
      ),
    ).toBe(false);
    expect(await verifyToken(database.db, ANNA, '')).toBe(false);
    const [listed] = await listTokens(database.db, ANNA);
    expect(listed).toEqual({
      id,
      created: expect.any(Date),
      expires: expect.any(Date),
      revoked: null,
    });
    expect(Object.values(listed)).not.toContain(token);
  });

  test('expires after 30 days by default, or the lifetime given', async () => {
    const { token, expires } = await createToken(database.db, ANNA);
    expect(Math.round((expires.getTime() - Date.now()) / 86_400_000)).toBe(30);
    await database.db.raw(`update tokens set expires_at = now() - interval '1 second'`);
    expect(await verifyToken(database.db, ANNA, token)).toBe(false);
    const short = await createToken(database.db, ANNA, 60_000);
    expect(Math.round((short.expires.getTime() - Date.now()) / 60_000)).toBe(1);
    expect(await verifyToken(database.db, ANNA, short.token)).toBe(true);
  });

  test('revoked tokens, one or all, stop working; so do the tokens of a disabled user', async () => {
    const a = await createToken(database.db, ANNA);
    const b = await createToken(database.db, ANNA);
    const c = await createToken(database.db, ANNA);
    expect(await revokeTokens(database.db, ANNA, a.id)).toBe(1);
    expect(await verifyToken(database.db, ANNA, a.token)).toBe(false);
    expect(await verifyToken(database.db, ANNA, b.token)).toBe(true);
    expect(await revokeTokens(database.db, BEN, b.id)).toBe(0); // not Ben's
    expect(await revokeTokens(database.db, ANNA)).toBe(2);
    expect(await verifyToken(database.db, ANNA, b.token)).toBe(false);
    expect(await verifyToken(database.db, ANNA, c.token)).toBe(false);
    expect((await listTokens(database.db, ANNA)).every((t) => t.revoked instanceof Date)).toBe(
      true,
    );
    const d = await createToken(database.db, BEN);
    await setDisabled(database.db, BEN, true);
    expect(await verifyToken(database.db, BEN, d.token)).toBe(false);
  });
});

describe('throttle', () => {
  const fail = async (name: string, times: number) => {
    for (let i = 0; i < times; i++) await recordLoginFailure(database.db, name);
  };
  const age = (minutes: number) =>
    database.db.raw(`update login_failures set at = at - ? * interval '1 minute'`, [minutes]);

  test('5 failures lock the name (any case) for 15 minutes, whether or not the user exists', async () => {
    await fail('Anna Admin', 4);
    expect(await loginLockedUntil(database.db, 'Anna Admin')).toBeUndefined();
    await fail('anna admin', 1);
    const until = await loginLockedUntil(database.db, 'ANNA ADMIN');
    expect(until).toBeInstanceOf(Date);
    expect(Math.round((until!.getTime() - Date.now()) / 60_000)).toBe(15);
    expect(await loginLockedUntil(database.db, 'Ben Support')).toBeUndefined();
    await fail('No Such User', 5);
    expect(await loginLockedUntil(database.db, 'No Such User')).toBeInstanceOf(Date);
  });

  test('the lock ends 15 minutes after the fifth failure; failures spread over more than 15 minutes do not lock', async () => {
    await fail('Anna Admin', 5);
    await age(14);
    expect(await loginLockedUntil(database.db, 'Anna Admin')).toBeInstanceOf(Date);
    await age(2);
    expect(await loginLockedUntil(database.db, 'Anna Admin')).toBeUndefined();
    await clearLoginFailures(database.db, 'Anna Admin');
    await fail('Ben Support', 3);
    await age(16);
    await fail('Ben Support', 2);
    expect(await loginLockedUntil(database.db, 'Ben Support')).toBeUndefined();
    await fail('Ben Support', 3);
    expect(await loginLockedUntil(database.db, 'Ben Support')).toBeInstanceOf(Date);
    await clearLoginFailures(database.db, 'ben support');
    expect(await loginLockedUntil(database.db, 'Ben Support')).toBeUndefined();
  });

  test('the limits are parameters', async () => {
    const limits = { maxFailures: 2, windowMs: 60_000, lockMs: 5 * 60_000 };
    await fail('Anna Admin', 2);
    expect(await loginLockedUntil(database.db, 'Anna Admin', limits)).toBeInstanceOf(Date);
    await age(4);
    expect(await loginLockedUntil(database.db, 'Anna Admin', limits)).toBeInstanceOf(Date);
    await age(2);
    expect(await loginLockedUntil(database.db, 'Anna Admin', limits)).toBeUndefined();
  });
});

describe('seed', () => {
  test('loads Roles, and a Password only as a hash that verifies', async () => {
    expect(await database.db('roles').select('name', 'permissions').orderBy('name')).toEqual([
      {
        name: 'Administrator',
        permissions: [
          'TICKET_READ',
          'TICKET_CREATE',
          'TICKET_UPDATE',
          'TICKET_DELETE',
          'SET_STATUS',
          'TICKET_BATCH',
          'ADMIN',
        ],
      },
      {
        name: 'Helpdesk',
        permissions: ['TICKET_READ', 'TICKET_CREATE', 'TICKET_UPDATE', 'SET_STATUS'],
      },
      { name: 'Intake', permissions: ['TICKET_CREATE'] },
      { name: 'ReadOnly', permissions: ['TICKET_READ'] },
      { name: 'Technician', permissions: ['TICKET_READ', 'TICKET_UPDATE', 'SET_STATUS'] },
    ]);
    await loadSeed(database.db, {
      Roles: [{ Name: 'ReadOnly', Permissions: ['TICKET_READ', 'TICKET_CREATE'] }],
      Users: [
        {
          Id: '{10000000-0000-4000-8000-000000000009}',
          Name: 'Dora Seed',
          Roles: ['ReadOnly'],
          Password: 'seed secret',
        },
      ],
    });
    const everything = JSON.stringify(await database.db('assignees').select('*'));
    expect(everything).not.toContain('seed secret');
    expect(everything).not.toContain(passwordHashOf('seed secret'));
    const row = await database
      .db('assignees')
      .first('password_hash')
      .where({ id: '10000000-0000-4000-8000-000000000009' });
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(
      await authenticatePassword(database.db, 'Dora Seed', passwordHashOf('seed secret')),
    ).toBe('10000000-0000-4000-8000-000000000009');
    expect(
      (await callerOf(database.db, '10000000-0000-4000-8000-000000000009'))?.permissions,
    ).toEqual(['TICKET_CREATE', 'TICKET_READ']);
  });
});
