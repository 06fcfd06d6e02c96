// Database down or hung: ResultCode 19, nothing changed, and recovery without a restart once
// the database is back. The gateway reaches PostgreSQL through a TCP relay that the test cuts, or
// hangs (sockets stay open, nothing is forwarded: PostgreSQL's processes stopped).

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { buildApp } from '../../src/app';
import { connect } from '../../src/db/connection';
import { isDatabaseUnavailable } from '../../src/db/failures';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, testRegistry } from '../support/gateway';

class Relay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private hung = false;
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const [s, other] of [
        [client, upstream],
        [upstream, client],
      ]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
        // A paused socket leaves what arrives in the kernel's buffers, as a stopped server does.
        s.on('data', (chunk) => other.write(chunk));
        s.on('end', () => other.end());
        if (this.hung) s.pause();
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  /** Keeps every connection open and accepts new ones, but forwards nothing (kill -STOP). */
  hang(): void {
    this.hung = true;
    for (const s of this.sockets) s.pause();
  }

  /** Forwards again what waited (kill -CONT). */
  resume(): void {
    this.hung = false;
    for (const s of this.sockets) s.resume();
  }

  /** Refuses new connections and drops the open ones, as a database that went away. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

/** Short here so that the test is quick; the gateway's default is 10 s. */
const QUERY_TIMEOUT_MS = 2000;

let database: TestDatabase;
let relay: Relay;
let server: Server;
let url: string;
let gatewayDb: ReturnType<typeof connect>;

beforeAll(async () => {
  database = await createTestDatabase();
  await database.reset();
  const target = new URL(process.env.TEST_DATABASE_URL!);
  relay = new Relay({ host: target.hostname, port: Number(target.port || 5432) });
  await relay.open();
  target.host = `127.0.0.1:${relay.port}`;
  gatewayDb = connect(target.toString(), {
    searchPath: database.schema,
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  });
  server = buildApp({
    db: gatewayDb,
    registry: testRegistry(),
    bodyLimit: '1mb',
    authMode: 'open',
    log: () => {},
  }).listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await relay.cut();
  await new Promise((r) => server.close(r));
  await gatewayDb.destroy();
  await database.close();
});

async function post(xml: string) {
  const res = await fetch(`${url}/acmp`, {
    method: 'POST',
    body: xml,
    headers: { 'Content-Type': 'text/xml' },
  });
  return {
    status: res.status,
    resultCode: Number(res.headers.get('x-acmp-result-code')),
    body: await res.text(),
  };
}

const save = (id: string) =>
  request(
    'SaveTicket',
    4,
    `<Ticket><Id>${id}</Id><Title>Written while the database is away?</Title></Ticket>`,
  );

test('19 while the database is down, 0 again once it is back, with no restart', async () => {
  expect((await post(save('{00000000-0000-4000-8000-0000000000A1}'))).resultCode).toBe(0);

  await relay.cut();
  const down = await post(save('{00000000-0000-4000-8000-0000000000A2}'));
  expect([down.status, down.resultCode]).toEqual([200, 19]);
  expect(down.body).toMatch(
    /The database is unavailable or did not answer in time; nothing was changed\. Try again later \(reference [0-9a-f-]{36}\)/,
  );
  expect(down.body).not.toMatch(/ECONNREFUSED|\.ts:\d+|node_modules/);
  const health = await fetch(`${url}/health`);
  expect([health.status, ((await health.json()) as { database: string }).database]).toEqual([
    503,
    'down',
  ]);

  await relay.open(); // the same port: the database is back
  const back = await post(save('{00000000-0000-4000-8000-0000000000A3}'));
  expect(back.resultCode).toBe(0);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  const ids = (await database.db('tickets').select('id').orderBy('id')).map((r) => r.id);
  expect(ids).toEqual([
    '00000000-0000-4000-8000-0000000000a1',
    '00000000-0000-4000-8000-0000000000a3',
  ]);
});

test('a hung database: 19 within the query timeout, /health 503 within 1 s, 0 again once it answers', async () => {
  expect((await post(save('{00000000-0000-4000-8000-0000000000B1}'))).resultCode).toBe(0); // a pooled connection is open

  relay.hang();
  let started = Date.now();
  const edit = request(
    'SaveTicket',
    4,
    '<Ticket><Id>{00000000-0000-4000-8000-0000000000B1}</Id><Title>Edited while the database hangs</Title></Ticket>',
  );
  const hung = await post(edit);
  const requestMs = Date.now() - started;
  expect([hung.status, hung.resultCode]).toEqual([200, 19]);
  expect(hung.body).toMatch(
    /The database is unavailable or did not answer in time; nothing was changed\. Try again later \(reference [0-9a-f-]{36}\)/,
  );
  expect(requestMs).toBeLessThan(QUERY_TIMEOUT_MS + 1500);

  for (let i = 0; i < 3; i++) {
    started = Date.now();
    const health = await fetch(`${url}/health`);
    expect(Date.now() - started).toBeLessThan(1000);
    expect([health.status, ((await health.json()) as { database: string }).database]).toEqual([
      503,
      'down',
    ]);
  }
  // The hung connection was dropped: a new one cannot be opened either.
  started = Date.now();
  expect((await post(save('{00000000-0000-4000-8000-0000000000B2}'))).resultCode).toBe(19);
  expect(Date.now() - started).toBeLessThan(QUERY_TIMEOUT_MS + 1500);

  relay.resume();
  expect((await post(save('{00000000-0000-4000-8000-0000000000B3}'))).resultCode).toBe(0);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 300)); // what waited in the relay has reached PostgreSQL
  const tickets = await database
    .db('tickets')
    .select('id', 'title')
    .whereRaw("id::text like '%00b_'")
    .orderBy('id');
  // The edit never committed; B2 was never sent (no connection), B3 was saved.
  expect(tickets).toEqual([
    { id: '00000000-0000-4000-8000-0000000000b1', title: 'Written while the database is away?' },
    { id: '00000000-0000-4000-8000-0000000000b3', title: 'Written while the database is away?' },
  ]);
}, 30_000);

test('a transaction that hangs midway fails within the query timeout, rolled back, its connection dropped', async () => {
  const id = '00000000-0000-4000-8000-0000000000c1';
  const started = Date.now();
  const failure = await gatewayDb
    .transaction(async (trx) => {
      await trx.raw('select 1');
      relay.hang();
      await trx('tickets').insert({
        id,
        title: 'Inserted into a hung database',
        priority: 3,
        state: 'New',
      });
    })
    .catch((e: unknown) => e);
  const failedMs = Date.now() - started;
  // Without ending the connection, the ROLLBACK would wait behind the hung INSERT (5 s more).
  expect(failedMs).toBeLessThan(QUERY_TIMEOUT_MS + 1000);
  expect(isDatabaseUnavailable(failure)).toBe(true);

  relay.resume();
  await new Promise((r) => setTimeout(r, 300)); // what waited in the relay has reached PostgreSQL
  expect(await database.db('tickets').where({ id }).first()).toBeUndefined();
  expect((await gatewayDb.raw('select 1 as one')).rows).toEqual([{ one: 1 }]);
}, 30_000);
