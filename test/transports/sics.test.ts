// The SICS bus (docs/protocol.md §8.2), driven the way real SICS clients drive it: JSON over HTTP, the
// session in X-SICS-SESSION, ICQL documents Base64-encoded, answers consumed from a queue.

import { randomUUID } from 'node:crypto';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/limits';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { b64, SicsClient, unb64 } from '../support/sics';

let database: TestDatabase;
let gw: TestGateway;
beforeAll(async () => {
  database = await createTestDatabase();
  gw = await startTestGateway('open', { database });
});
afterAll(async () => {
  await gw.stop();
  await database.close();
});
beforeEach(() => database.reset());

/** Until no consumed message waits for its delivery to be confirmed (Automatic acknowledgement). */
async function settledQueues(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const [{ n }] = await database.db('bus_messages').whereNotNull('lease_id').count({ n: '*' });
    if (Number(n) === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const guid = () => `{${randomUUID().toUpperCase()}}`;
const ANNA = '{10000000-0000-4000-8000-000000000001}';
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

const save = (id: string, title: string) =>
  request(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>${title}</Title><Priority>4</Priority></Ticket>`,
  );
const close = (id: string) =>
  request(
    'CloseTicket',
    1,
    `<TicketId>${id}</TicketId>
  <Assignee xsi:type="TAssignee_V1"><Id>${ANNA}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>
  <Comment xsi:type="TTicketComment_V1"><Id>${guid()}</Id><Text>Done over the bus</Text></Comment>
  <WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${guid()}</Id><TicketId>${id}</TicketId><Executor>${ANNA}</Executor>
    <StartDate>2026-01-05T08:00:00Z</StartDate><EndDate>2026-01-05T08:30:00Z</EndDate></WorkingTime>`,
  );
const getTicket = (id: string) => request('GetTicket', 5, `<TicketId>${id}</TicketId>`);

test('the automation flow over the bus: session, router, target, SaveTicket_V4, CloseTicket_V1, GetTicket_V5', async () => {
  const client = await new SicsClient(gw.url).login();
  await client.answerQueue();
  const id = guid();

  const published = await client.publishIcql(save(id, 'Printer on fire'));
  expect(published.status).toBe(202);
  expect(published.json.MessageId).toMatch(/^[0-9a-f-]{36}$/);
  const saved = await client.answer();
  expect(saved).toContain('<SaveTicket');
  expect(field(saved, 'ResultCode')).toBe('0');
  expect(field(saved, 'TicketNumber')).toBe('1');

  expect((await client.publishIcql(close(id))).status).toBe(202);
  const closed = await client.answer();
  expect(field(closed, 'ResultCode')).toBe('0');

  expect((await client.publishIcql(getTicket(id))).status).toBe(202);
  const read = await client.answer();
  expect({
    code: field(read, 'ResultCode'),
    state: field(read, 'State'),
    title: field(read, 'Title'),
    minutes: field(read, 'TotalWorkingTime'),
    creator: field(read, 'CreatorId'),
  }).toMatchObject({ code: '0', state: 'Closed', title: 'Printer on fire', minutes: '30' });
  // Each answer was delivered once: the queue is empty now.
  expect((await client.consume('answers', { WaitForMessage: false })).json.Messages).toEqual([]);
  // The comment was written as the session's user (the caller).
  expect(await database.db('ticket_comments').first('text')).toEqual({ text: 'Done over the bus' });
  // The bus session is a normal gateway session: it works for POST /acmp too.
  const plain = await gw.post(getTicket(id), {
    'Content-Type': 'text/xml',
    'X-SICS-SESSION': client.session,
  });
  expect(field(plain.body, 'State')).toBe('Closed');
});

test('a command refused by the core is answered on the callback with its ResultCode (permission: Dora may only read)', async () => {
  const dora = await new SicsClient(gw.url).login('Dora Reader', 'dora-demo-password');
  await dora.answerQueue();
  expect((await dora.publishIcql(save(guid(), 'Not allowed'))).status).toBe(202);
  const answer = await dora.answer();
  expect(field(answer, 'ResultCode')).toBe('35');
  expect(field(answer, 'ResultMessage')).toContain('TICKET_CREATE');
  expect(await database.db('tickets').count({ n: '*' })).toEqual([{ n: 0 }]);
});

test('a Body that is not Base64 is refused at Publish (400, offset of the first bad character, nothing queued); one that is not UTF-8 or not ICQL gets an ICQL answer (Error envelope, 35)', async () => {
  const client = await new SicsClient(gw.url).login();
  await client.answerQueue();
  const notBase64 = await client.publishBody('this is not base64!');
  expect(notBase64.status).toBe(400);
  expect(notBase64.json).toEqual({
    ErrorCode: 35,
    Error: expect.stringContaining('Body is not Base64: at offset 4 (0-based), a space'),
  });
  expect((await client.consume('answers', { WaitForMessage: false })).json.Messages).toEqual([]);

  expect(
    (await client.publishBody(Buffer.from([0xff, 0xfe, 0x3c]).toString('base64'))).status,
  ).toBe(202);
  expect(field(await client.answer(), 'ResultMessage')).toContain('not UTF-8');

  expect((await client.publishBody(b64('<not-icql/>'))).status).toBe(202);
  expect(field(await client.answer(), 'ResultCode')).toBe('35');
});

test('the command and the queueing of its answer are one transaction: when the answer cannot be queued, the command did not happen', async () => {
  const client = await new SicsClient(gw.url).login();
  await client.answerQueue();
  // A real failure inside PostgreSQL, after the command ran: the insert of the answer raises.
  await database.db.raw(`create function refuse_answer() returns trigger language plpgsql as $$ begin raise exception 'answer refused (test)'; end $$;
    create trigger refuse_answer before insert on bus_messages for each row execute function refuse_answer()`);
  try {
    const res = await client.publishIcql(save(guid(), 'Half-written?'));
    expect(res.status).toBe(500);
    expect(res.json).toMatchObject({ ErrorCode: 18, Error: expect.stringContaining('reference') });
    expect(await database.db('tickets').count({ n: '*' })).toEqual([{ n: 0 }]);
  } finally {
    await database.db.raw(
      'drop trigger refuse_answer on bus_messages; drop function refuse_answer()',
    );
  }
  // Published again, it runs once and is answered once.
  expect((await client.publishIcql(save(guid(), 'Second try'))).status).toBe(202);
  expect(field(await client.answer(), 'ResultCode')).toBe('0');
  expect(await database.db('tickets').count({ n: '*' })).toEqual([{ n: 1 }]);
});

test('plain routing: a publish to another router goes to every target bound to its routing key, once each', async () => {
  const client = await new SicsClient(gw.url).login();
  expect(
    (await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'Work' })).json,
  ).toMatchObject({ VirtualRouterName: 'Work' });
  // Creating an existing name (any case) returns it.
  const again = await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'work' });
  expect(again.status).toBe(201);
  expect(again.json.VirtualRouterName).toBe('Work');
  await client.call('POST', '/Target', {
    TargetName: 'q1',
    VirtualRouter: 'Work',
    RoutingKeys: ['jobs'],
  });
  await client.call('POST', '/Target', {
    TargetName: 'q2',
    VirtualRouter: 'Work',
    RoutingKeys: ['jobs', 'other'],
  });
  await client.call('POST', '/Target', {
    TargetName: 'q3',
    VirtualRouter: 'Work',
    RoutingKeys: ['other'],
  });
  const pub = await client.call('POST', '/Publish', {
    Body: b64('hello'),
    VirtualRouter: 'Work',
    Routing_Key: 'jobs',
    ExchangeType: 'ROUTING',
  });
  expect(pub.status).toBe(202);
  const take = async (t: string) =>
    (
      await client.call('POST', '/Consume', {
        VirtualRouter: 'Work',
        TargetName: t,
        WaitForMessage: false,
        MaxMessages: 10,
      })
    ).json.Messages;
  const [m1, m2, m3] = [await take('q1'), await take('q2'), await take('q3')];
  expect(m1).toEqual([
    {
      MessageId: pub.json.MessageId,
      Body: b64('hello'),
      Routing_Key: 'jobs',
      PublishedAt: expect.any(String),
      DeliveryCount: 1,
    },
  ]);
  expect(m2.map((m: { Body: string }) => m.Body)).toEqual([b64('hello')]);
  expect(m3).toEqual([]);
  // A target without VirtualRouter is bound to the router of its own name, routing key = its name.
  await client.call('POST', '/Target', { TargetName: 'Solo' });
  expect(
    (
      await client.call('POST', '/Publish', {
        Body: b64('x'),
        VirtualRouter: 'Solo',
        Routing_Key: 'Solo',
      })
    ).status,
  ).toBe(202);
  expect(
    await client
      .call('POST', '/Consume', { TargetName: 'Solo' })
      .then((r) => r.json.Messages.length),
  ).toBe(1);
  // Nothing bound to the key: refused, not lost silently.
  const unbound = await client.call('POST', '/Publish', {
    Body: b64('x'),
    VirtualRouter: 'Work',
    Routing_Key: 'nobody',
  });
  expect(unbound).toMatchObject({ status: 400, json: { ErrorCode: 35 } });
  expect(unbound.json.Error).toContain('routing key "nobody"');
  // Deleting a router takes its targets and their messages with it.
  await client.call('POST', '/Publish', {
    Body: b64('left'),
    VirtualRouter: 'Work',
    Routing_Key: 'jobs',
  });
  expect((await client.call('DELETE', '/VirtualRouter/Work')).status).toBe(204);
  expect((await client.call('POST', '/Consume', { TargetName: 'q1' })).status).toBe(404);
  // Solo's message, consumed above, leaves once its answer is known delivered (a moment after).
  await settledQueues();
  expect(await database.db('bus_messages').count({ n: '*' })).toEqual([{ n: 0 }]);
  expect((await client.call('DELETE', '/Target/Solo')).status).toBe(204);
  expect((await client.call('DELETE', '/Target/Solo')).json).toMatchObject({ ErrorCode: 30 });
});

test("routers and targets belong to the session's user: another user neither sees nor consumes them", async () => {
  const anna = await new SicsClient(gw.url).login();
  await anna.answerQueue();
  const ben = await new SicsClient(gw.url).login('Ben Support', 'ben-demo-password');
  expect((await ben.consume('answers', { WaitForMessage: false })).status).toBe(404);
  expect((await ben.publishIcql(getTicket(guid()))).json.Error).toContain(
    'no virtual router "Callback"',
  );
});

test('without a valid X-SICS-SESSION every call but POST /Session answers 401 {ErrorCode: 7}', async () => {
  const anon = new SicsClient(gw.url);
  for (const [method, path] of [
    ['POST', '/VirtualRouter'],
    ['DELETE', '/VirtualRouter/x'],
    ['POST', '/Target'],
    ['DELETE', '/Target/x'],
    ['POST', '/Publish'],
    ['POST', '/Consume'],
    ['DELETE', '/Session'],
  ]) {
    const res = await anon.call(method, path, {});
    expect({ path, status: res.status, code: res.json.ErrorCode }).toEqual({
      path,
      status: 401,
      code: 7,
    });
    expect(res.json.Error).toContain('X-SICS-SESSION');
  }
  anon.session = 'f'.repeat(48);
  expect((await anon.call('POST', '/Consume', { TargetName: 'x' })).json).toMatchObject({
    ErrorCode: 7,
    Error: expect.stringContaining('unknown or has expired'),
  });
  // DELETE /Session ends it.
  const client = await new SicsClient(gw.url).login();
  expect((await client.call('DELETE', '/Session')).status).toBe(204);
  expect((await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'x' })).status).toBe(
    401,
  );
});

test('POST /Session checks the credentials, also on a gateway running open: wrong password answers 401 {ErrorCode: 15}', async () => {
  const client = new SicsClient(gw.url); // gw runs in open mode
  const wrong = await client.call('POST', '/Session', {
    UserName: 'Anna Admin',
    Password: 'not-her-password',
  });
  expect(wrong.status).toBe(401);
  expect(wrong.json.ErrorCode).toBe(15);
  expect(wrong.json.Session).toBeUndefined();
  const unknown = await client.call('POST', '/Session', { UserName: 'Nobody', Password: 'x' });
  expect(unknown.json).toEqual(wrong.json); // the same answer whether the user exists or not
  // The throttle of docs/protocol.md §5: five failures lock the name, even the right password is refused then.
  for (let i = 0; i < 4; i++)
    await client.call('POST', '/Session', { UserName: 'Anna Admin', Password: 'wrong' });
  expect(
    (
      await client.call('POST', '/Session', {
        UserName: 'Anna Admin',
        Password: 'anna-demo-password',
      })
    ).json.ErrorCode,
  ).toBe(15);
  expect(
    (
      await client.call('POST', '/Session', {
        UserName: 'Ben Support',
        Password: 'ben-demo-password',
      })
    ).status,
  ).toBe(200);
});

test('malformed requests get 400 {ErrorCode: 35} naming the field; never a stack trace', async () => {
  const client = await new SicsClient(gw.url).login();
  await client.answerQueue();
  const cases: [string, string, unknown, string][] = [
    ['POST', '/Session', { UserName: 'Anna Admin' }, 'Password is missing'],
    ['POST', '/VirtualRouter', { VirtualRouterName: 5 }, 'VirtualRouterName must be a JSON string'],
    ['POST', '/Target', {}, 'TargetName is missing'],
    [
      'POST',
      '/Target',
      { TargetName: 't', RoutingKeys: 'k' },
      'RoutingKeys must be a JSON array of strings',
    ],
    ['POST', '/Target', { TargetName: 't', TargetType: 'Topic' }, 'TargetType must be "Queue"'],
    ['POST', '/Publish', { VirtualRouter: 'ACMP' }, 'Body is missing'],
    [
      'POST',
      '/Publish',
      { Body: 'x', VirtualRouter: 'ACMP', ExchangeType: 'FANOUT' },
      'ExchangeType must be "ROUTING"',
    ],
    [
      'POST',
      '/Publish',
      { Body: 'x', VirtualRouter: 'ACMP' },
      'needs Callback_VirtualRouter and Callback_Routing_Key',
    ],
    [
      'POST',
      '/Consume',
      { TargetName: 'answers', WaitTimeout: 60001 },
      'WaitTimeout must be from 0 to 60000',
    ],
    [
      'POST',
      '/Consume',
      { TargetName: 'answers', MaxMessages: 101 },
      'MaxMessages must be from 1 to 100',
    ],
    [
      'POST',
      '/Consume',
      { TargetName: 'answers', MaxMessages: 1.5 },
      'MaxMessages must be a whole JSON number',
    ],
    [
      'POST',
      '/Consume',
      { TargetName: 'answers', WaitForMessage: 'yes' },
      'WaitForMessage must be true or false',
    ],
    ['POST', '/Consume', [], 'The body must be a JSON object'],
  ];
  for (const [method, path, body, error] of cases) {
    const res = await client.call(method, path, body);
    expect({ path, status: res.status, code: res.json.ErrorCode, error: res.json.Error }).toEqual({
      path,
      status: 400,
      code: 35,
      error: expect.stringContaining(error),
    });
  }
  const broken = await client.call('POST', '/Consume', undefined, '{"TargetName": ');
  expect(broken).toMatchObject({
    status: 400,
    json: { ErrorCode: 35, Error: 'The body is not valid JSON' },
  });
  expect(JSON.stringify(broken.json)).not.toMatch(/\bat \w+ \(/);
});

describe('limits, each a clear JSON error naming the setting', () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway('open', {
      database,
      busLimits: {
        ...DEFAULT_BUS_LIMITS,
        maxMessagesPerTarget: 2,
        messageTtlSeconds: 1,
        maxRouters: 2,
        maxTargets: 2,
      },
    });
  });
  afterAll(() => small.stop());

  test('routers, targets and messages per target', async () => {
    const client = await new SicsClient(small.url).login();
    await client.answerQueue('Callback', 'answers'); // router 1, target 1
    expect((await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'Two' })).status).toBe(
      201,
    );
    const router = await client.call('POST', '/VirtualRouter', { VirtualRouterName: 'Three' });
    expect(router).toMatchObject({
      status: 429,
      json: { ErrorCode: 35, Error: expect.stringContaining('ACMP_SICS_MAX_ROUTERS = 2') },
    });
    expect(
      (await client.call('POST', '/Target', { TargetName: 't2', VirtualRouter: 'Two' })).status,
    ).toBe(201);
    const target = await client.call('POST', '/Target', { TargetName: 't3', VirtualRouter: 'Two' });
    expect(target).toMatchObject({
      status: 429,
      json: { ErrorCode: 35, Error: expect.stringContaining('ACMP_SICS_MAX_TARGETS = 2') },
    });

    expect((await client.publishIcql(getTicket(guid()))).status).toBe(202);
    expect((await client.publishIcql(getTicket(guid()))).status).toBe(202);
    const full = await client.publishIcql(save(guid(), 'Not run: the answer has no room'));
    expect(full).toMatchObject({
      status: 429,
      json: {
        ErrorCode: 35,
        Error: expect.stringContaining('ACMP_SICS_MAX_MESSAGES_PER_TARGET = 2'),
      },
    });
    expect(await database.db('tickets').count({ n: '*' })).toEqual([{ n: 0 }]);
  });

  test('a message not consumed within ACMP_SICS_MESSAGE_TTL_SECONDS is gone', async () => {
    const client = await new SicsClient(small.url).login();
    await client.answerQueue();
    expect((await client.publishIcql(getTicket(guid()))).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await client.consume('answers', { WaitForMessage: false })).json.Messages).toEqual([]);
  });
});

test('a restart between publish and consume loses nothing', async () => {
  const first = await startTestGateway('open', { database });
  const client = await new SicsClient(first.url).login();
  await client.answerQueue();
  const id = guid();
  expect((await client.publishIcql(save(id, 'Survives a restart'))).status).toBe(202);
  await first.stop();

  const second = await startTestGateway('open', { database });
  try {
    const again = new SicsClient(second.url);
    again.session = client.session; // sessions live in PostgreSQL too
    const answer = await again.answer();
    expect(field(answer, 'ResultCode')).toBe('0');
    expect(field(answer, 'TicketNumber')).toBe('1');
    expect(await database.db('tickets').first('title')).toEqual({ title: 'Survives a restart' });
  } finally {
    await second.stop();
  }
});

describe('two gateway instances over one database', () => {
  let b: TestGateway;
  beforeAll(async () => {
    b = await startTestGateway('open', { database });
  });
  afterAll(() => b.stop());

  test('N messages consumed concurrently from both instances: each exactly once', async () => {
    const onA = await new SicsClient(gw.url).login();
    await onA.call('POST', '/Target', { TargetName: 'jobs' });
    const onB = new SicsClient(b.url);
    onB.session = onA.session;
    const N = 60;
    const bodies = Array.from({ length: N }, (_, i) => b64(`job ${i}`));
    const published = await Promise.all(
      bodies.map((Body) =>
        onA.call('POST', '/Publish', { Body, VirtualRouter: 'jobs', Routing_Key: 'jobs' }),
      ),
    );
    expect(published.map((p) => p.status)).toEqual(bodies.map(() => 202));
    const got: string[][] = [];
    const consumer = async (client: SicsClient) => {
      const mine: string[] = [];
      got.push(mine);
      for (;;) {
        const res = await client.call('POST', '/Consume', {
          TargetName: 'jobs',
          MaxMessages: 3,
          WaitForMessage: false,
        });
        expect(res.status).toBe(200);
        if (!res.json.Messages.length) return;
        mine.push(...res.json.Messages.map((m: { Body: string }) => m.Body));
      }
    };
    await Promise.all([onA, onB, onA, onB, onA, onB].map(consumer));
    const all = got.flat();
    expect(all).toHaveLength(N);
    expect(new Set(all).size).toBe(N);
    expect([...all].sort()).toEqual([...bodies].sort());
    // Both instances took part.
    expect(got.filter((g) => g.length > 0).length).toBeGreaterThan(1);
  });

  test('a long poll on instance B wakes when instance A publishes (NOTIFY), well before WaitTimeout', async () => {
    const onA = await new SicsClient(gw.url).login();
    await onA.answerQueue();
    const onB = new SicsClient(b.url);
    onB.session = onA.session;
    const waiting = onB.consume('answers', { WaitTimeout: 20000 });
    await new Promise((r) => setTimeout(r, 500));
    const id = guid();
    await onA.publishIcql(save(id, 'Wake B'));
    const res = await waiting;
    expect(res.json.Messages).toHaveLength(1);
    expect(field(unb64(res.json.Messages[0].Body), 'ResultCode')).toBe('0');
    // Woken by the notification, not by the safety re-check every 5 s.
    expect(res.ms).toBeLessThan(3000);
  });
});

test('closing the bus answers the consumers still waiting, with no messages', async () => {
  const other = await startTestGateway('open', { database });
  try {
    const client = await new SicsClient(other.url).login();
    await client.answerQueue();
    const waiting = client.consume('answers', { WaitTimeout: 30000 });
    await new Promise((r) => setTimeout(r, 300));
    await other.bus.close();
    const res = await waiting;
    expect(res).toMatchObject({ status: 200, json: { ErrorCode: 0, Messages: [] } });
    expect(res.ms).toBeLessThan(2000);
  } finally {
    await other.stop();
  }
});

test('WaitTimeout passes without a message: an empty answer after about that long', async () => {
  const client = await new SicsClient(gw.url).login();
  await client.answerQueue();
  const res = await client.consume('answers', { WaitTimeout: 700 });
  expect(res.json).toEqual({ ErrorCode: 0, Messages: [] });
  expect(res.ms).toBeGreaterThanOrEqual(650);
  expect(res.ms).toBeLessThan(3000);
});
