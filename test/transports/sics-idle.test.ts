// Routers and targets that clients never delete (docs/protocol.md §8.2): a connector that makes a
// router and a target for every message it publishes, and never consumes or deletes them, keeps
// working indefinitely, because idle ones expire with what they hold.
import { DEFAULT_BUS_LIMITS } from '../../src/bus/limits';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { b64, SicsClient } from '../support/sics';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());
beforeEach(() => database.reset());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settings = request('GetHelpdeskSettings', 1, '');

/** What /metrics says of a counter or gauge line, 0 when absent. */
async function metric(gw: TestGateway, line: string): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found ? Number(found.split(' ')[1]) : 0;
}

test('1,000 publishes by a connector that makes a router and a target per message and never cleans up: every one accepted, the idle ones expire with their messages', async () => {
  const gw = await startTestGateway('open', {
    database,
    // Far fewer than 1,000 allowed at once, and a short idle time: only expiry keeps it going.
    busLimits: { ...DEFAULT_BUS_LIMITS, maxRouters: 300, maxTargets: 300, idleMs: 1000 },
    metrics: { processMetrics: false },
  });
  try {
    const client = await new SicsClient(gw.url).login();
    const refused: string[] = [];
    for (let i = 0; i < 1000; i++) {
      const router = await client.call('POST', '/VirtualRouter', { VirtualRouterName: `cb-${i}` });
      const target = await client.call('POST', '/Target', {
        TargetName: `answer-${i}`,
        VirtualRouter: `cb-${i}`,
        RoutingKeys: [`answer-${i}`],
      });
      const publish = await client.call('POST', '/Publish', {
        Body: b64(settings),
        VirtualRouter: 'ACMP',
        Routing_Key: 'ACMP',
        Callback_VirtualRouter: `cb-${i}`,
        Callback_Routing_Key: `answer-${i}`,
      });
      for (const res of [router, target, publish])
        if (res.status >= 300) refused.push(`${i}: ${res.status} ${JSON.stringify(res.json)}`);
    }
    expect(refused).toEqual([]);
    // Once the last ones are idle too, a sweep takes them all, with the answers they held.
    await sleep(1200);
    await gw.bus.sweep();
    expect(await database.db('bus_routers').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await database.db('bus_targets').count({ n: '*' })).toEqual([{ n: 0 }]);
    expect(await database.db('bus_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
    // Every router, target and answer went by expiry, and /metrics counted each.
    expect(await metric(gw, 'acmp_sics_idle_expired_total{kind="routers"}')).toBe(1000);
    expect(await metric(gw, 'acmp_sics_idle_expired_total{kind="targets"}')).toBe(1000);
    expect(await metric(gw, 'acmp_sics_idle_expired_total{kind="messages"}')).toBe(1000);
  } finally {
    await gw.stop();
  }
});

test('a router or target in use does not expire: consuming keeps a target and its router alive', async () => {
  const gw = await startTestGateway('open', {
    database,
    busLimits: { ...DEFAULT_BUS_LIMITS, idleMs: 1000 },
  });
  try {
    const client = await new SicsClient(gw.url).login();
    await client.answerQueue('Polled', 'polled');
    await client.answerQueue('Forgotten', 'forgotten');
    for (let i = 0; i < 8; i++) {
      await client.consume('polled', { VirtualRouter: 'Polled', WaitForMessage: false });
      await sleep(300);
    }
    await gw.bus.sweep();
    expect(await database.db('bus_targets').pluck('name')).toEqual(['polled']);
    expect(await database.db('bus_routers').pluck('name')).toEqual(['Polled']);
    // The forgotten one is gone for its client too: publishing to it is refused, not lost.
    const gone = await client.call('POST', '/Publish', {
      Body: b64('x'),
      VirtualRouter: 'Forgotten',
      Routing_Key: 'forgotten',
    });
    expect(gone.status).toBe(400);
  } finally {
    await gw.stop();
  }
});

test('at the limit, the 429 names the least recently used routers, oldest first, and an idle one no longer counts', async () => {
  const gw = await startTestGateway('open', {
    database,
    busLimits: { ...DEFAULT_BUS_LIMITS, maxRouters: 3, maxTargets: 3, idleMs: 1500 },
  });
  try {
    const client = await new SicsClient(gw.url).login();
    for (const name of ['first', 'second', 'third']) {
      expect(
        (await client.call('POST', '/VirtualRouter', { VirtualRouterName: name })).status,
      ).toBe(201);
      await sleep(50);
    }
    // Using "first" again makes "second" the least recently used.
    await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'first' });
    const full = await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'fourth' });
    expect(full.status).toBe(429);
    expect(full.json.ErrorCode).toBe(35);
    expect(full.json.Error).toContain('ACMP_SICS_MAX_ROUTERS = 3');
    expect(full.json.Error).toContain('the least recently used are "second", "third", "first"');
    // Once they are idle they do not count, even before a sweep deletes them.
    await sleep(1600);
    expect(
      (await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'fourth' })).status,
    ).toBe(201);
  } finally {
    await gw.stop();
  }
});
