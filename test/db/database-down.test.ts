// Database down: ResultCode 19, nothing half-written, and recovery without a restart once the
// database is back. The gateway reaches PostgreSQL through a TCP relay that the test cuts.
import net from 'net';
import type { AddressInfo } from 'net';
import type { Server } from 'http';
import { buildApp } from '../../src/app';
import { connect } from '../../src/db/connection';
import { createTestDatabase, TestDatabase } from '../support/db';
import { request, testRegistry } from '../support/gateway';

class Relay {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  /** Refuses new connections and drops the open ones, as a database that went away. */
  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server!.close(resolve));
  }
}

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
  gatewayDb = connect(target.toString(), { searchPath: database.schema });
  server = buildApp({ db: gatewayDb, registry: testRegistry(), bodyLimit: '1mb', log: () => {} }).listen(0, '127.0.0.1');
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
  const res = await fetch(`${url}/acmp`, { method: 'POST', body: xml, headers: { 'Content-Type': 'text/xml' } });
  return { status: res.status, resultCode: Number(res.headers.get('x-acmp-result-code')), body: await res.text() };
}

const save = (id: string) => request('SaveTicket', 4, `<Ticket><Id>${id}</Id><Title>Written while the database is away?</Title></Ticket>`);

test('19 while the database is down, 0 again once it is back, with no restart', async () => {
  expect((await post(save('{00000000-0000-4000-8000-0000000000A1}'))).resultCode).toBe(0);

  await relay.cut();
  const down = await post(save('{00000000-0000-4000-8000-0000000000A2}'));
  expect([down.status, down.resultCode]).toEqual([200, 19]);
  expect(down.body).toMatch(/The database is unavailable or failed; nothing was changed\. Try again later \(reference [0-9a-f-]{36}\)/);
  expect(down.body).not.toMatch(/ECONNREFUSED|\.ts:\d+|node_modules/);
  const health = await fetch(`${url}/health`);
  expect([health.status, ((await health.json()) as { database: string }).database]).toEqual([503, 'down']);

  await relay.open(); // the same port: the database is back
  const back = await post(save('{00000000-0000-4000-8000-0000000000A3}'));
  expect(back.resultCode).toBe(0);
  expect((await fetch(`${url}/health`)).status).toBe(200);
  const ids = (await database.db('tickets').select('id').orderBy('id')).map((r) => r.id);
  expect(ids).toEqual(['00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000a3']);
});
