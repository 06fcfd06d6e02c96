// `npm start` behaviour: embedded PostgreSQL in a data folder, seed loaded once,
// tickets kept across restarts, clean stop on SIGTERM/SIGINT, one-line message on a busy port.
// Hardening: the embedded server is restarted when it dies, the server a killed gateway
// left behind is stopped by the next start, SIGTERM to `npm start` leaves no process behind.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { request } from '../support/gateway';
import { alive, freePort, poll, processTree } from '../support/processes';

jest.setTimeout(120000);

const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-start-'));
chmodSync(dataRoot, 0o755); // initdb runs as the unprivileged postgres user
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

interface Started {
  child: ChildProcess;
  output: () => string;
  errors: () => string;
  exited: Promise<number | null>;
}

function start(
  env: Record<string, string>,
  command = [process.execPath, '-r', 'ts-node/register/transpile-only', 'src/main.ts'],
): Started {
  let output = '';
  let errors = '';
  const child = spawn(command[0], command.slice(1), {
    cwd: PROJECT_ROOT,
    // One process, as before ACMP_WORKERS: the cluster has its own test (cluster.test.ts) and starts slower.
    env: { ...process.env, DATABASE_URL: '', ACMP_WORKERS: '1', ...env },
  });
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => {
    output += d;
    errors += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  running.add(child);
  child.on('exit', () => running.delete(child));
  return { child, output: () => output, errors: () => errors, exited };
}

// A failed test must not leave its gateway, or a server a killed gateway left, running.
const running = new Set<ChildProcess>();
const leftovers: number[] = [];
afterEach(() => {
  for (const child of running) child.kill('SIGTERM');
  for (const pid of leftovers.filter(alive)) process.kill(pid, 'SIGINT');
});

/** The server running in a data folder, as PostgreSQL records it (the file goes when it stops). */
const postmasterPid = (dataDir: string) =>
  Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

async function environment(): Promise<Record<string, string>> {
  return {
    PORT: String(await freePort()),
    ACMP_DATA_DIR: path.join(dataRoot, 'data'),
    ACMP_EMBEDDED_PG_PORT: String(await freePort()),
  };
}

function client(env: Record<string, string>) {
  const base = `http://127.0.0.1:${env.PORT}`;
  return {
    post: (xml: string) =>
      fetch(`${base}/acmp`, {
        method: 'POST',
        body: xml,
        headers: { 'Content-Type': 'text/xml' },
      }).then((r) => r.text()),
    health: () =>
      fetch(`${base}/health`).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { database: string },
      })),
  };
}

async function until(s: Started, text: string): Promise<void> {
  for (let i = 0; i < 600 && !s.output().includes(text); i++) {
    if (s.child.exitCode !== null) throw new Error(`exited early:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!s.output().includes(text)) throw new Error(`never printed "${text}":\n${s.output()}`);
}

const ID = '{59387FFD-B171-47C5-B735-041FA132CA39}';

/** stdout and stderr are not terminals here: every line the gateway prints is one JSON object (pino). */
function records(text: string): { level: number; msg: string; [key: string]: unknown }[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

test('start, serve, stop cleanly, start again with the tickets kept; a busy port is one line', async () => {
  const env = {
    PORT: String(await freePort()),
    ACMP_DATA_DIR: path.join(dataRoot, 'data'),
    ACMP_EMBEDDED_PG_PORT: String(await freePort()),
  };
  const url = `http://127.0.0.1:${env.PORT}/acmp`;
  const post = (xml: string) =>
    fetch(url, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml' } }).then((r) =>
      r.text(),
    );

  const first = start(env);
  await until(first, 'acmp-gateway:');
  // docs/protocol.md §5: the start line says which authentication mode runs (loopback, nothing set: open).
  await until(first, 'acmp-gateway: authentication open (ACMP_AUTH=open)');
  expect(first.output()).toContain('loaded the seed fixtures/seed/demo.json');
  const saved = await fetch(url, {
    method: 'POST',
    body: request(
      'SaveTicket',
      4,
      `<Ticket><Id>${ID}</Id><Title>Survives a restart</Title></Ticket>`,
    ),
    headers: { 'Content-Type': 'text/xml', 'X-Request-Id': 'main-test-save-1' },
  });
  expect(await saved.text()).toContain('<ResultCode>0</ResultCode>');
  expect(saved.headers.get('x-request-id')).toBe('main-test-save-1');
  // Its exchange line carries that id; /metrics counted it (open on loopback).
  const metrics = await (await fetch(`http://127.0.0.1:${env.PORT}/metrics`)).text();
  expect(metrics).toContain(
    'acmp_requests_total{transport="xml",command="SaveTicket_V4",result_code="0"} 1',
  );
  expect(metrics).toMatch(/^process_cpu_user_seconds_total \d/m);
  first.child.kill('SIGTERM');
  expect(await first.exited).toBe(0);
  const lines = records(first.output());
  expect(lines.find((l) => l.requestId === 'main-test-save-1')).toMatchObject({
    level: 30,
    transport: 'xml',
    status: 200,
    commands: ['SaveTicket_V4'],
    resultCode: 0,
    msg: expect.stringMatching(/^POST \/acmp 200 SaveTicket_V4 ResultCode 0 /),
  });
  expect(lines.map((l) => l.msg)).toEqual(
    expect.arrayContaining(['loaded the seed fixtures/seed/demo.json', 'SIGTERM: stopping']),
  );

  const second = start(env);
  await until(second, 'acmp-gateway:');
  expect(second.output()).not.toContain('loaded the seed'); // the demo seed is loaded once
  expect(await post(request('GetTicket', 5, `<TicketId>${ID}</TicketId>`))).toContain(
    '<Title>Survives a restart</Title>',
  );

  // Another gateway on the same HTTP port: one line, exit code 1, before any database is started.
  const third = start({
    ...env,
    ACMP_DATA_DIR: path.join(dataRoot, 'other'),
    ACMP_EMBEDDED_PG_PORT: String(await freePort()),
  });
  expect(await third.exited).toBe(1);
  expect(records(third.output()).map(({ level, msg }) => ({ level, msg }))).toEqual([
    {
      level: 60,
      msg: `Port ${env.PORT} on 127.0.0.1 is already in use: stop the other process or set PORT.`,
    },
  ]);
  expect(third.errors()).toBe(third.output()); // fatal lines go to stderr

  second.child.kill('SIGINT');
  expect(await second.exited).toBe(0);
});

const SAVE = () =>
  request('SaveTicket', 4, `<Ticket><Id>${ID}</Id><Title>Still there</Title></Ticket>`);

test('a gateway killed with SIGKILL leaves its PostgreSQL running; the next start stops it and serves', async () => {
  const env = await environment();
  const first = start(env);
  await until(first, 'acmp-gateway:');
  const leftover = postmasterPid(env.ACMP_DATA_DIR);
  leftovers.push(leftover);
  first.child.kill('SIGKILL');
  await first.exited;
  expect(alive(leftover)).toBe(true); // nothing stopped it

  const second = start(env);
  await until(second, 'acmp-gateway:');
  expect(second.output()).toContain(
    `stopping the embedded PostgreSQL (pid ${leftover}) left running in ${env.ACMP_DATA_DIR} by a gateway that was killed`,
  );
  expect(alive(leftover)).toBe(false);
  const server = postmasterPid(env.ACMP_DATA_DIR);
  expect(server).not.toBe(leftover);
  expect(await client(env).post(SAVE())).toContain('<ResultCode>0</ResultCode>');
  second.child.kill('SIGTERM');
  expect(await second.exited).toBe(0);
  expect(alive(server)).toBe(false);
});

test('the embedded PostgreSQL killed under a running gateway is restarted: /health says recovering, then commands work again', async () => {
  const env = await environment();
  const gateway = start(env);
  await until(gateway, 'acmp-gateway:');
  const { post, health } = client(env);
  expect(await health()).toEqual({
    status: 200,
    body: { status: 'ok', database: 'up', commands: expect.any(Number) },
  });

  const killed = postmasterPid(env.ACMP_DATA_DIR);
  process.kill(killed, 'SIGKILL');
  const killedAt = Date.now();
  await poll('/health says recovering', 5, async () =>
    (await health()).body.database === 'recovering' ? true : undefined,
  );
  expect(await health()).toEqual({
    status: 503,
    body: { status: 'degraded', database: 'recovering', commands: expect.any(Number) },
  });
  await poll('a command answers ResultCode 0', 30, async () =>
    (await post(SAVE())).includes('<ResultCode>0</ResultCode>') ? true : undefined,
  );
  console.log(`recovered ${Date.now() - killedAt} ms after the embedded PostgreSQL was killed`);
  expect((await health()).status).toBe(200);
  expect(gateway.output()).toContain('embedded PostgreSQL exited (SIGKILL)');
  expect(gateway.output()).toContain('embedded PostgreSQL: restart attempt 1 in 1 s');
  expect(gateway.output()).toContain('embedded PostgreSQL is running again (attempt 1)');
  const restarted = postmasterPid(env.ACMP_DATA_DIR);
  expect(restarted).not.toBe(killed);
  expect(await (await fetch(`http://127.0.0.1:${env.PORT}/metrics`)).text()).toMatch(
    /^acmp_embedded_db_restarts_total 1$/m,
  );

  gateway.child.kill('SIGINT');
  expect(await gateway.exited).toBe(0);
  expect(alive(restarted)).toBe(false);
});

test('SIGTERM to `npm start` stops the gateway and its PostgreSQL within 10 s, no process left', async () => {
  const env = await environment();
  const npm = start(env, ['npm', 'start']); // builds first (prestart)
  await until(npm, 'acmp-gateway:');
  const tree = processTree(npm.child.pid!); // npm, its shell, node, the postmaster and its children
  expect(tree).toContain(postmasterPid(env.ACMP_DATA_DIR));
  expect(tree.length).toBeGreaterThanOrEqual(5);

  const sentAt = Date.now();
  npm.child.kill('SIGTERM');
  const left = await poll('no process of the tree left', 10, () =>
    tree.some(alive) ? undefined : true,
  ).catch(() => tree.filter(alive));
  if (left !== true) for (const pid of left) process.kill(pid, 'SIGTERM'); // the orphans would keep jest waiting
  expect(left).toBe(true);
  // `node dist/src/main.js` with stdout not a terminal: JSON lines (npm's own lines begin with "> ").
  const gatewayLines = records(
    npm
      .output()
      .split('\n')
      .filter((line) => !line.startsWith('> ') && !line.startsWith('npm '))
      .join('\n'),
  );
  expect(gatewayLines.map((l) => l.msg)).toEqual(
    expect.arrayContaining([expect.stringMatching(/^acmp-gateway: \d+ commands on http/)]),
  );
  console.log(
    `npm start with its gateway and PostgreSQL stopped ${Date.now() - sentAt} ms after SIGTERM`,
  );
});

(process.getuid?.() === 0 ? test : test.skip)(
  'as root, a data folder the postgres user cannot reach: one line saying why and what to do, exit 1',
  async () => {
    const locked = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-locked-'));
    chmodSync(locked, 0o700);
    try {
      const env = { ...(await environment()), ACMP_DATA_DIR: path.join(locked, 'data') };
      const gateway = start(env);
      expect(await gateway.exited).toBe(1);
      expect(records(gateway.errors()).map((l) => l.msg)).toEqual([
        `acmp-gateway did not start: The gateway runs as root, so the embedded PostgreSQL runs as the OS user "postgres", who cannot reach ${env.ACMP_DATA_DIR}: run the gateway as another user, put the data folder (ACMP_DATA_DIR) where every user can read it (e.g. under /srv), or set DATABASE_URL.`,
      ]);
    } finally {
      rmSync(locked, { recursive: true, force: true });
    }
  },
);

test('SIGTERM answers a SICS long poll still waiting (empty Messages) and stops cleanly', async () => {
  const env = await environment();
  const base = `http://127.0.0.1:${env.PORT}`;
  const gateway = start(env);
  await until(gateway, 'acmp-gateway: authentication');
  const json = (path: string, body: unknown, session = '') =>
    fetch(`${base}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
    }).then(async (r) => ({ status: r.status, json: (await r.json()) as Record<string, unknown> }));
  const session = String(
    (await json('/Session', { UserName: 'Anna Admin', Password: 'anna-demo-password' })).json
      .Session,
  );
  expect((await json('/Target', { TargetName: 'answers' }, session)).status).toBe(201);
  const waiting = json(
    '/Consume',
    { TargetName: 'answers', WaitForMessage: true, WaitTimeout: 60000 },
    session,
  );
  await new Promise((r) => setTimeout(r, 500));
  const sentAt = Date.now();
  gateway.child.kill('SIGTERM');
  expect(await waiting).toEqual({ status: 200, json: { ErrorCode: 0, Messages: [] } });
  expect(Date.now() - sentAt).toBeLessThan(1500);
  expect(await gateway.exited).toBe(0);
});
