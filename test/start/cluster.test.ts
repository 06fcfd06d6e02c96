// ACMP_WORKERS: several gateway processes on one port over one PostgreSQL,
// and several gateways starting together on one database.
// A session made by a login is accepted by every worker; a killed worker is replaced; SIGTERM to
// the primary answers waiting long polls and stops the workers and the database, exit 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PROJECT_ROOT } from '../../src/config';
import { START_LOCK } from '../../src/db/connection';
import { request } from '../support/gateway';
import { alive, freePort, poll, processTree } from '../support/processes';

jest.setTimeout(180000);

const dataRoot = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-cluster-'));
chmodSync(dataRoot, 0o755); // initdb runs as the unprivileged postgres user
afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

let gateway: ChildProcess | undefined;
afterEach(() => {
  if (gateway && gateway.exitCode === null)
    for (const pid of processTree(gateway.pid!)) process.kill(pid, 'SIGKILL');
});

/** One request on a connection of its own, so that the cluster may hand it to any worker. */
function send(
  port: string,
  path: string,
  body: string,
  headers: Record<string, string>,
  method = 'POST',
): Promise<{ status: number; worker: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `http://127.0.0.1:${port}${path}`,
      { method, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            worker: Number(res.headers['x-acmp-worker']),
            body: text,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ID = '{59387FFD-B171-47C5-B735-041FA132CA77}';

test('ACMP_WORKERS=2: a login is good on every worker, a killed worker is replaced, SIGTERM stops all (long polls answered), exit 0, no process left', async () => {
  const env = {
    PORT: String(await freePort()),
    ACMP_DATA_DIR: path.join(dataRoot, 'data'),
    ACMP_EMBEDDED_PG_PORT: String(await freePort()),
    ACMP_WORKERS: '2',
    ACMP_AUTH: 'required',
  };
  let output = '';
  gateway = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, DATABASE_URL: '', ...env },
  });
  const child = gateway;
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await poll(`the start lines:\n${output}`, 150, () =>
    output.includes('acmp-gateway: authentication required')
      ? true
      : child.exitCode !== null
        ? Promise.reject(new Error(output))
        : undefined,
  );
  expect(output).toContain('(database: embedded, 2 worker processes)');
  expect(output.match(/loaded the seed/g)).toHaveLength(1); // the primary seeds once

  const acmp = (xml: string, session?: string) =>
    send(env.PORT, '/acmp', xml, {
      'Content-Type': 'text/xml',
      ...(session ? { 'X-SICS-SESSION': session } : {}),
    });
  const json = (path: string, body: unknown, session = '') =>
    send(env.PORT, path, JSON.stringify(body), {
      'Content-Type': 'application/json',
      'X-SICS-SESSION': session,
    });
  const login = await json('/Session', { UserName: 'Anna Admin', Password: 'anna-demo-password' });
  expect(login.status).toBe(200);
  const session = String(JSON.parse(login.body).Session);
  expect(
    (
      await acmp(
        request(
          'SaveTicket',
          4,
          `<Ticket><Id>${ID}</Id><Title>Seen by every worker</Title></Ticket>`,
        ),
        session,
      )
    ).body,
  ).toContain('<ResultCode>0</ResultCode>');
  expect((await acmp(request('GetTicket', 5, `<TicketId>${ID}</TicketId>`))).body).toContain(
    '<ResultCode>7</ResultCode>',
  ); // a session is needed

  /** The workers that answered the session's GetTicket_V5 with the ticket, over fresh connections. */
  let gets = 0;
  const servedBy = async (count: number, exclude: number[] = []) => {
    const seen = new Set<number>();
    for (let i = 0; i < 40 && [...seen].filter((w) => !exclude.includes(w)).length < count; i++) {
      const answer = await acmp(request('GetTicket', 5, `<TicketId>${ID}</TicketId>`), session);
      expect(answer.body).toContain('<Title>Seen by every worker</Title>');
      gets++;
      seen.add(answer.worker);
    }
    return [...seen].filter((w) => !exclude.includes(w));
  };
  const workers = await servedBy(2);
  expect(workers).toHaveLength(2);
  const tree = processTree(child.pid!);
  for (const w of workers) expect(tree).toContain(w);

  // GET /metrics answers for every worker, whichever worker the scrape reaches: the GetTicket_V5
  // counter holds all of them (summed), the one live session is counted once (read, not summed).
  const scrapedBy = new Set<number>();
  for (let i = 0; i < 40 && scrapedBy.size < 2; i++) {
    const scrape = await send(env.PORT, '/metrics', '', {}, 'GET');
    expect(scrape.status).toBe(200);
    const sample = (name: string) =>
      Number(new RegExp(`^${name.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(scrape.body)?.[1]);
    expect(
      sample('acmp_requests_total{transport="xml",command="GetTicket_V5",result_code="0"}'),
    ).toBe(gets);
    expect(sample('acmp_sessions_active')).toBe(1);
    scrapedBy.add(scrape.worker);
  }
  expect(scrapedBy.size).toBe(2);

  // A worker killed: logged, replaced after a backoff, and the replacement accepts the same session.
  const [killed, kept] = workers;
  process.kill(killed, 'SIGKILL');
  await poll(`the replacement:\n${output}`, 60, () =>
    output.includes(`serves (replacing ${killed})`) ? true : undefined,
  );
  expect(output).toContain(
    `acmp-gateway: worker ${killed} exited (SIGKILL); starting another in 0.5 s`,
  );
  const [replacement] = await servedBy(1, [killed, kept]);
  expect(replacement).toBeGreaterThan(0);
  expect(alive(killed)).toBe(false);

  // SIGTERM to the primary: a long poll waiting on a worker is answered, then everything stops.
  expect((await json('/Target', { TargetName: 'answers' }, session)).status).toBe(201);
  const waiting = json(
    '/Consume',
    { TargetName: 'answers', WaitForMessage: true, WaitTimeout: 60000 },
    session,
  );
  await new Promise((r) => setTimeout(r, 500));
  const everything = processTree(child.pid!); // primary, workers, the postmaster and its children
  expect(everything).toContain(
    Number(readFileSync(path.join(env.ACMP_DATA_DIR, 'postmaster.pid'), 'utf8').split('\n')[0]),
  );
  const sentAt = Date.now();
  child.kill('SIGTERM');
  const answered = await waiting;
  expect([answered.status, JSON.parse(answered.body)]).toEqual([
    200,
    { ErrorCode: 0, Messages: [] },
  ]);
  expect(Date.now() - sentAt).toBeLessThan(1500);
  expect(await exited).toBe(0);
  await poll('no process of the tree left', 10, () => (everything.some(alive) ? undefined : true));
  console.log(
    `2 workers, their PostgreSQL and the primary stopped ${Date.now() - sentAt} ms after SIGTERM`,
  );
});

test('gateways starting together on one database take turns to migrate and seed (an advisory lock), then both serve', async () => {
  // A database of its own on the tests' server, as several instances behind a load balancer share one.
  const name = `acmp_start_${process.pid}`;
  const admin = new Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name}`);
  await admin.query(`create database ${name}`);
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.pathname = `/${name}`;
  // Another gateway is migrating: this test holds the lock.
  const other = new Client({ connectionString: url.toString() });
  await other.connect();
  await other.query('select pg_advisory_lock($1)', [START_LOCK]);
  const outputs = ['', ''];
  const children = await Promise.all(
    outputs.map(async (_, i) => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            DATABASE_URL: url.toString(),
            PORT: String(await freePort()),
            ACMP_WORKERS: '1',
          },
        },
      );
      child.stdout!.on('data', (d) => (outputs[i] += d));
      child.stderr!.on('data', (d) => (outputs[i] += d));
      return {
        child,
        exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
      };
    }),
  );
  try {
    await poll(`both wait:\n${outputs.join('\n')}`, 90, () =>
      outputs.every((o) =>
        o.includes('waiting for another gateway to finish migrating this database'),
      )
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 1000));
    for (const o of outputs) expect(o).not.toContain('acmp-gateway:');
    await other.end(); // the other gateway is done: its session ends, the lock with it
    await poll(`both serve:\n${outputs.join('\n')}`, 60, () =>
      outputs.every((o) => o.includes('acmp-gateway: authentication')) ? true : undefined,
    );
    expect(outputs.join('').match(/loaded the seed/g)).toHaveLength(1);
    for (const { child, exited } of children) {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  } finally {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    await other.end().catch(() => {});
    await admin.query(`drop database if exists ${name} with (force)`).catch(() => {});
    await admin.end();
  }
});
