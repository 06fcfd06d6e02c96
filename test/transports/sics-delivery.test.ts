// Delivery on the SICS bus (docs/protocol.md §8.2): nothing lost on the way to the consumer.
// Automatic acknowledgement keeps what a consumer that hung up never got; Manual acknowledgement
// leases, redelivers after the lease, and turns what is never acknowledged into dead letters.
import http from 'node:http';
import net from 'node:net';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/limits';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { b64, SicsClient } from '../support/sics';

let database: TestDatabase;
let gw: TestGateway;
beforeAll(async () => {
  database = await createTestDatabase();
  gw = await startTestGateway('open', {
    database,
    busLimits: { ...DEFAULT_BUS_LIMITS, maxDeliveries: 3 },
    metrics: { processMetrics: false },
  });
});
afterAll(async () => {
  await gw.stop();
  await database.close();
});
beforeEach(() => database.reset());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client with router Jobs and target `name` bound to it by routing key `name`. */
async function queue(url: string, name: string): Promise<SicsClient> {
  const client = await new SicsClient(url).login();
  expect((await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'Jobs' })).status).toBe(
    201,
  );
  const target = await client.call('POST', '/Target', {
    TargetName: name,
    VirtualRouter: 'Jobs',
    RoutingKeys: [name],
  });
  expect(target.status).toBe(201);
  return client;
}

async function publish(client: SicsClient, key: string, text: string): Promise<string> {
  const res = await client.call('POST', '/Publish', {
    Body: b64(text),
    VirtualRouter: 'Jobs',
    Routing_Key: key,
  });
  expect(res.status).toBe(202);
  return res.json.MessageId;
}

/** Everything left in the queue, taken without waiting and acknowledged automatically. */
async function drain(client: SicsClient, target: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const res = await client.consume(target, {
      VirtualRouter: 'Jobs',
      WaitForMessage: false,
      MaxMessages: 100,
    });
    expect(res.status).toBe(200);
    if (!res.json.Messages.length) return ids;
    ids.push(...res.json.Messages.map((m: { MessageId: string }) => m.MessageId));
  }
}

/**
 * A long poll over node:http that the client gives up `abortMs` after `publishNow()` is sent,
 * unless its answer has begun by then (a client reads an answer that has started). Resolves
 * with the MessageIds the client read, or none when it hung up first.
 */
function consumeThenHangUp(
  url: string,
  session: string,
  target: string,
  publishNow: () => Promise<unknown>,
  abortMs: number,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(
      `${url}/Consume`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
        agent: false,
      },
      (res) => {
        answered = true;
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () =>
          resolve(JSON.parse(text).Messages.map((m: { MessageId: string }) => m.MessageId)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', () => resolve([])); // hung up before an answer came
    req.end(
      JSON.stringify({
        VirtualRouter: 'Jobs',
        TargetName: target,
        WaitForMessage: true,
        WaitTimeout: 5000,
        MaxMessages: 10,
      }),
    );
    // The long poll is waiting before the publish is sent; the hang-up follows it by abortMs.
    setTimeout(() => {
      publishNow().catch(reject);
      setTimeout(() => {
        if (!answered) req.destroy();
      }, abortMs);
    }, 60);
  });
}

test('Automatic: consumers that hang up 0–15 ms after a publish lose nothing; each message is consumed exactly once', async () => {
  const client = await queue(gw.url, 'race');
  const published: string[] = [];
  const received: string[] = [];
  let hungUp = 0;
  for (let round = 0; round < 64; round++) {
    const got = await consumeThenHangUp(
      gw.url,
      client.session,
      'race',
      async () => published.push(await publish(client, 'race', `message ${round}`)),
      round % 16,
    );
    if (!got.length) hungUp++;
    received.push(...got);
  }
  // How many hung up before their answer varies with the machine's load (seen: 1 to 8 of 64);
  // without the delivery guards, 2 to 17 messages of such runs were lost.
  if (process.env.DEBUG_RACE) console.log(`${hungUp} of 64 consumers hung up before their answer`);
  received.push(...(await drain(client, 'race')));
  expect(received.sort()).toEqual([...published].sort());
  expect(new Set(received).size).toBe(published.length);
});

/** A TCP proxy in front of the gateway that cuts every answer: the server sent it, the client never gets it. */
async function cuttingProxy(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const { port } = new URL(target);
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), '127.0.0.1');
    client.pipe(upstream);
    upstream.once('data', () => {
      client.destroy();
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

test('Manual: an answer cut after the server sent it comes back after its lease with DeliveryCount 2; an acknowledged message never comes back', async () => {
  const client = await queue(gw.url, 'work');
  const id = await publish(client, 'work', 'cut on the way');
  const proxy = await cuttingProxy(gw.url);
  try {
    const cut = new SicsClient(proxy.url);
    cut.session = client.session;
    await expect(
      cut.consume('work', { VirtualRouter: 'Jobs', AckMode: 'Manual', LeaseSeconds: 1 }),
    ).rejects.toThrow();
  } finally {
    await proxy.close();
  }
  // Inside the lease nobody else gets it.
  const during = await client.consume('work', {
    VirtualRouter: 'Jobs',
    WaitForMessage: false,
    AckMode: 'Manual',
  });
  expect(during.json.Messages).toEqual([]);
  await sleep(1100);
  const again = await client.consume('work', {
    VirtualRouter: 'Jobs',
    AckMode: 'Manual',
    LeaseSeconds: 30,
  });
  expect(again.json.Messages).toEqual([
    expect.objectContaining({ MessageId: id, DeliveryCount: 2, LeaseId: expect.any(String) }),
  ]);
  const ack = await client.call('POST', '/Ack', {
    VirtualRouter: 'Jobs',
    TargetName: 'work',
    MessageIds: [id],
  });
  expect(ack).toMatchObject({ status: 200, json: { ErrorCode: 0, Acked: 1 } });
  // Acknowledged again: not an error, not counted; and gone for good.
  const twice = await client.call('POST', '/Ack', { TargetName: 'work', MessageIds: [id] });
  expect(twice.json).toEqual({ ErrorCode: 0, Acked: 0 });
  expect(await drain(client, 'work')).toEqual([]);
  expect(await database.db('bus_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
});

test('Manual: a stale LeaseId acknowledges nothing once the message was delivered again; the current one does', async () => {
  const client = await queue(gw.url, 'slow');
  const id = await publish(client, 'slow', 'slow consumer');
  const manual = { VirtualRouter: 'Jobs', AckMode: 'Manual', LeaseSeconds: 1 };
  const first = (await client.consume('slow', manual)).json.Messages[0];
  expect(first).toMatchObject({ MessageId: id, DeliveryCount: 1 });
  await sleep(1100);
  const second = (await client.consume('slow', { ...manual, LeaseSeconds: 30 })).json.Messages[0];
  expect(second).toMatchObject({ MessageId: id, DeliveryCount: 2 });
  expect(second.LeaseId).not.toBe(first.LeaseId);
  const stale = await client.call('POST', '/Ack', {
    TargetName: 'slow',
    LeaseIds: [first.LeaseId],
  });
  expect(stale.json).toEqual({ ErrorCode: 0, Acked: 0 });
  expect(await database.db('bus_messages').count({ n: '*' })).toEqual([{ n: 1 }]);
  const current = await client.call('POST', '/Ack', {
    TargetName: 'slow',
    LeaseIds: [second.LeaseId],
  });
  expect(current.json).toEqual({ ErrorCode: 0, Acked: 1 });
  expect(await database.db('bus_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
});

test('Manual: redelivered messages come before newer ones, and two consumers never hold the same message inside a lease', async () => {
  const client = await queue(gw.url, 'shared');
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await publish(client, 'shared', `job ${i}`));
  const manual = (max: number, seconds: number) => ({
    VirtualRouter: 'Jobs',
    WaitForMessage: false,
    AckMode: 'Manual',
    LeaseSeconds: seconds,
    MaxMessages: max,
  });
  const other = await new SicsClient(gw.url).login();
  other.session = client.session; // a second consumer of the same user's queue
  const [a, b] = await Promise.all([
    client.consume('shared', manual(8, 30)),
    other.consume('shared', manual(8, 30)),
  ]);
  const heldA = a.json.Messages.map((m: { MessageId: string }) => m.MessageId);
  const heldB = b.json.Messages.map((m: { MessageId: string }) => m.MessageId);
  expect(heldA).toHaveLength(8);
  expect(heldB).toHaveLength(8);
  expect(heldA.filter((id: string) => heldB.includes(id))).toEqual([]);
  // The last four, then (once a short lease ran out) the oldest of them again before the newer.
  const short = (await client.consume('shared', manual(1, 1))).json.Messages;
  expect(short).toHaveLength(1);
  await sleep(1100);
  const next = (await client.consume('shared', manual(10, 30))).json.Messages;
  expect(next[0]).toMatchObject({ MessageId: short[0].MessageId, DeliveryCount: 2 });
  expect(next.map((m: { MessageId: string }) => m.MessageId)).toEqual(
    ids.filter((id) => !heldA.includes(id) && !heldB.includes(id)),
  );
});

test('Manual: after ACMP_SICS_MAX_DELIVERIES deliveries a message is a dead letter: counted in /metrics apart from its queue, and no longer delivered', async () => {
  const client = await queue(gw.url, 'poison');
  const id = await publish(client, 'poison', 'never acknowledged');
  const manual = {
    VirtualRouter: 'Jobs',
    WaitForMessage: false,
    AckMode: 'Manual',
    LeaseSeconds: 1,
  };
  for (let delivery = 1; delivery <= 3; delivery++) {
    const got = (await client.consume('poison', manual)).json.Messages;
    expect(got).toEqual([expect.objectContaining({ MessageId: id, DeliveryCount: delivery })]);
    await sleep(1100);
  }
  expect((await client.consume('poison', manual)).json.Messages).toEqual([]);
  const [row] = await database.db('bus_messages').select('dead_at', 'delivery_count');
  expect(row.dead_at).not.toBeNull();
  expect(row.delivery_count).toBe(3);
  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  expect(metrics).toContain('acmp_sics_dead_letters{user="Anna Admin",target="poison"} 1');
  expect(metrics).toContain('acmp_bus_queue_messages{user="Anna Admin",target="poison"} 0');
  // An acknowledgement no longer reaches it: a dead letter waits for an administrator.
  const ack = await client.call('POST', '/Ack', { TargetName: 'poison', MessageIds: [id] });
  expect(ack.json.Acked).toBe(0);
});

test('AckMode, LeaseSeconds and /Ack refuse what they cannot read, naming the field', async () => {
  const client = await queue(gw.url, 'strict');
  const bad = async (path: string, body: Record<string, unknown>, message: RegExp) => {
    const res = await client.call('POST', path, body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ ErrorCode: 35, Error: expect.stringMatching(message) });
  };
  await bad(
    '/Consume',
    { TargetName: 'strict', AckMode: 'Later' },
    /^AckMode must be "Auto" or "Manual"/,
  );
  await bad(
    '/Consume',
    { TargetName: 'strict', AckMode: 'Manual', LeaseSeconds: 0 },
    /^LeaseSeconds must be from 1 to 3600/,
  );
  await bad('/Ack', { TargetName: 'strict' }, /MessageIds or the LeaseIds/);
  await bad(
    '/Ack',
    { TargetName: 'strict', MessageIds: 'x' },
    /^MessageIds must be a JSON array of strings/,
  );
  const unknown = await client.call('POST', '/Ack', {
    TargetName: 'strict',
    MessageIds: ['not-a-uuid'],
  });
  expect(unknown.json).toEqual({ ErrorCode: 0, Acked: 0 });
  const missing = await client.call('POST', '/Ack', { TargetName: 'nope', MessageIds: [] });
  expect(missing.status).toBe(404);
});

test("a dead letter does not count toward its target's message limit", async () => {
  const small = await startTestGateway('open', {
    database,
    busLimits: { ...DEFAULT_BUS_LIMITS, maxMessagesPerTarget: 1, maxDeliveries: 1 },
  });
  try {
    const client = await queue(small.url, 'tight');
    await publish(client, 'tight', 'dies');
    const manual = {
      VirtualRouter: 'Jobs',
      WaitForMessage: false,
      AckMode: 'Manual',
      LeaseSeconds: 1,
    };
    expect((await client.consume('tight', manual)).json.Messages).toHaveLength(1);
    // Full while the message is live.
    const full = await client.call('POST', '/Publish', {
      Body: b64('no room'),
      VirtualRouter: 'Jobs',
      Routing_Key: 'tight',
    });
    expect(full.status).toBe(429);
    await sleep(1100);
    expect((await client.consume('tight', manual)).json.Messages).toEqual([]); // now a dead letter
    await publish(client, 'tight', 'room again');
  } finally {
    await small.stop();
  }
});
