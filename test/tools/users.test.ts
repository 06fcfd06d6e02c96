// `npm run users`: spawned like an operator would, against this file's schema; passwords come
// from piped stdin, never the command line.
import { execFile } from 'node:child_process';
import { PROJECT_ROOT } from '../../src/config';
import { passwordHashOf } from '../../src/identity/passwords';
import { createToken, verifyToken } from '../../src/identity/tokens';
import { authenticatePassword } from '../../src/identity/users';
import { createTestDatabase, type TestDatabase } from '../support/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
  await database.reset();
});
afterAll(() => database.close());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function users(args: string[], stdin = ''): Promise<Run> {
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${database.schema}`);
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/tools/users.ts', ...args],
      { cwd: PROJECT_ROOT, timeout: 60000, env: { ...process.env, DATABASE_URL: url.toString() } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

test('add a user, set its password from stdin, list, disable', async () => {
  const added = await users(['add', 'Dora Desk', 'Helpdesk']);
  expect(added).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(/^added Dora Desk \([0-9a-f-]{36}\)/),
  });
  expect((await users(['add', 'dora desk'])).code).toBe(1); // the name exists already (ignoring case)
  expect(await users(['add', 'Eve', 'NoSuchRole'])).toMatchObject({
    code: 1,
    stderr: expect.stringContaining('no such role: NoSuchRole'),
  });

  expect(await users(['set-password', 'Dora Desk'], 'dora secret 1\n')).toMatchObject({
    code: 0,
    stdout: expect.stringContaining('password set for Dora Desk'),
  });
  const dora = await authenticatePassword(
    database.db,
    'Dora Desk',
    passwordHashOf('dora secret 1'),
  );
  expect(dora).toBeDefined();
  expect(JSON.stringify(await database.db('assignees').select('*'))).not.toContain('dora secret 1');
  expect((await users(['set-password', 'Dora Desk'], '\n')).code).toBe(1); // empty password refused

  const list = await users(['list']);
  expect(list.code).toBe(0);
  expect(list.stdout).toContain(
    `Dora Desk\t${dora}\tcan log in\troles: Helpdesk\tpermissions: SET_STATUS, TICKET_CREATE, TICKET_READ, TICKET_UPDATE`,
  );
  expect(list.stdout).not.toContain('First Level Support'); // groups are not users

  expect(await users(['disable', 'dora desk'])).toMatchObject({
    code: 0,
    stdout: 'Dora Desk disabled\n',
  });
  expect(
    await authenticatePassword(database.db, 'Dora Desk', passwordHashOf('dora secret 1')),
  ).toBeUndefined();
  expect((await users(['list'])).stdout).toContain('Dora Desk\t');
  expect((await users(['list'])).stdout).toMatch(/Dora Desk\t\S+\tdisabled/);
});

test('tokens are listed without the token and revoked one by one or all', async () => {
  const ANNA = '10000000-0000-4000-8000-000000000001';
  const a = await createToken(database.db, ANNA);
  const b = await createToken(database.db, ANNA);
  const listed = await users(['tokens', 'Anna Admin']);
  expect(listed.code).toBe(0);
  expect(listed.stdout).toContain(`${a.id}\tcreated `);
  expect(listed.stdout).not.toContain(a.token);
  expect(listed.stdout.match(/\tactive/g)).toHaveLength(2);
  expect(await users(['revoke', 'Anna Admin', a.id])).toMatchObject({
    code: 0,
    stdout: 'revoked 1 token(s) of Anna Admin\n',
  });
  expect(await verifyToken(database.db, ANNA, a.token)).toBe(false);
  expect(await verifyToken(database.db, ANNA, b.token)).toBe(true);
  expect((await users(['revoke', 'Anna Admin', a.id])).code).toBe(1); // already revoked
  expect((await users(['revoke', 'Anna Admin', '--all'])).stdout).toBe(
    'revoked 1 token(s) of Anna Admin\n',
  );
  expect(await verifyToken(database.db, ANNA, b.token)).toBe(false);
});

test('exit codes: 2 for usage, 1 for failures', async () => {
  expect(await users([])).toMatchObject({
    code: 2,
    stderr: expect.stringContaining('usage: npm run users'),
  });
  expect((await users(['frobnicate'])).code).toBe(2);
  expect((await users(['revoke', 'Anna Admin', 'not-an-id'])).code).toBe(2);
  expect((await users(['set-password'])).code).toBe(2);
  expect(await users(['disable', 'Nobody'])).toMatchObject({
    code: 1,
    stderr: 'users failed: no user is named "Nobody"\n',
  });
});

test('--help, and options it does not list are refused before the database is opened', async () => {
  expect(await users(['--help'])).toMatchObject({
    code: 0,
    stdout: expect.stringMatching(/^usage: npm run users -- <command>/),
  });
  // A name that looks like an option is a typo, not a user to add ("--" ends the options).
  expect(await users(['add', '--bogus'])).toMatchObject({
    code: 2,
    stderr: expect.stringMatching(/^unknown option --bogus \(--help lists them\)\nusage: /),
  });
  expect(await database.db('assignees').where({ name: '--bogus' })).toEqual([]);
  expect((await users(['list', '--all'])).stderr).toMatch(/^--all goes with revoke only/);
  expect((await users(['revoke', 'Anna Admin'])).code).toBe(2);
});
