// GET /metrics (Prometheus text, prom-client): counters move by exactly the requests sent, on
// every transport, a batch counting each of its commands; the histogram counts the same; the
// gauges read the pool, the sessions and the bus queues as they are; scrapes never wait long for
// the database; who may scrape when authentication is required.
import { randomUUID } from 'node:crypto';
import { connect } from '../../src/db/connection';
import { bindSession } from '../../src/identity/sessions';
import {
  createMetrics,
  DATABASE_READ_CACHE_MS,
  SCRAPE_QUERY_TIMEOUT_MS,
} from '../../src/observability/metrics';
import { request, startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

const ANNA = '10000000-0000-4000-8000-000000000001'; // Administrator: ADMIN, TICKET_BATCH
const BEN = '10000000-0000-4000-8000-000000000002'; // Helpdesk: no ADMIN
const ANNA_SESSION = 'anna-metrics-session-000000000000000000';
const BEN_SESSION = 'ben-metrics-session-0000000000000000000';
const TOKEN = 'metrics-scraper-token-0123456789';
const MISSING = '{00000000-0000-4000-8000-00000000DEAD}';
const guid = () => `{${randomUUID().toUpperCase()}}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples by `name{label=value,...}` (labels sorted), from the Prometheus text format. */
type Samples = Map<string, number>;
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(
      ([, k, v]) => `${k}=${v}`,
    );
    samples.set(`${m[1]}{${labels.sort().join(',')}}`, Number(m[3]));
  }
  return samples;
}
const key = (name: string, labels: Record<string, string | number> = {}) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(',')}}`;

/** What moved between two scrapes, for the series of one metric. */
function moved(before: Samples, after: Samples, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after)
    if (k.startsWith(`${name}{`) && v !== (before.get(k) ?? 0)) out[k] = v - (before.get(k) ?? 0);
  return out;
}

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('required', { metrics: { token: TOKEN } });
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
  await bindSession(gw.db, ANNA_SESSION, ANNA);
  await sleep(DATABASE_READ_CACHE_MS); // what an earlier test's scrape read is stale
});

async function scrape(
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; samples: Samples }> {
  const res = await fetch(`${gw.url}/metrics`, { headers });
  const text = await res.text();
  return { status: res.status, text, samples: res.status === 200 ? parse(text) : new Map() };
}

const xml = { 'Content-Type': 'text/xml; charset=utf-8', 'X-SICS-SESSION': ANNA_SESSION };
const save = (id: string) =>
  `<SaveTicket ActionType="Request" version="4"><TSaveTicketRequest_V4><Ticket><Id>${id}</Id><Title>Counted</Title></Ticket></TSaveTicketRequest_V4></SaveTicket>`;
const closeMissing = `<CloseTicket ActionType="Request" version="1"><TCloseTicketRequest_V1><TicketId>${MISSING}</TicketId><Assignee><Id>{${ANNA}}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee></TCloseTicketRequest_V1></CloseTicket>`;
const batch = (...commands: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?><ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><ACMP>${commands.join('')}</ACMP></ICQL>`;
const codes = (body: string) =>
  [...body.matchAll(/<ResultCode>(-?\d+)<\/ResultCode>/g)].map((m) => Number(m[1]));
const soap = (body: string) =>
  fetch(`${gw.url}/soap`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', 'X-SICS-SESSION': ANNA_SESSION },
    body: `<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://acmp.com/soap"><s:Body>${body}</s:Body></s:Envelope>`,
  }).then(async (r) => ({
    status: r.status,
    code: Number(r.headers.get('x-acmp-result-code')),
    text: await r.text(),
  }));
const json = (path: string, body: unknown) =>
  fetch(`${gw.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': ANNA_SESSION },
    body: JSON.stringify(body),
  }).then(async (r) => ({
    status: r.status,
    code: Number(r.headers.get('x-acmp-result-code')),
    json: (await r.json()) as any,
  }));

test('acmp_requests_total, the latency histogram and the HTTP answers move by exactly the requests sent; a batch counts each command', async () => {
  const before = (await scrape()).samples;
  const expected: Record<string, number> = {};
  const count = (transport: string, command: string, code: number | string) => {
    const k = key('acmp_requests_total', { transport, command, result_code: code });
    expected[k] = (expected[k] ?? 0) + 1;
  };
  const statuses: Record<string, number> = {};
  const answered = (transport: string, status: number) =>
    (statuses[key('acmp_http_responses_total', { transport, status })] =
      (statuses[key('acmp_http_responses_total', { transport, status })] ?? 0) + 1);

  // ICQL: 3 saves, a read of a missing ticket, a document that is no XML, a command nobody serves, a batch of 3 failing at #2.
  const ticket = guid();
  for (const id of [ticket, guid(), guid()]) {
    const res = await gw.post(
      request('SaveTicket', 4, `<Ticket><Id>${id}</Id><Title>Counted</Title></Ticket>`),
      xml,
    );
    expect(res.resultCode).toBe(0);
    count('xml', 'SaveTicket_V4', 0);
    answered('xml', res.status);
  }
  const missing = await gw.post(request('GetTicket', 5, `<TicketId>${MISSING}</TicketId>`), xml);
  expect(missing.resultCode).not.toBe(0);
  count('xml', 'GetTicket_V5', missing.resultCode);
  answered('xml', missing.status);
  const notXml = await gw.post('this is not XML', xml);
  count('xml', '', notXml.resultCode);
  answered('xml', notXml.status);
  const unknown = await gw.post(request('NoSuchCommand', 1, ''), xml);
  count('xml', 'unknown', unknown.resultCode);
  answered('xml', unknown.status);
  const three = await gw.post(batch(save(guid()), closeMissing, save(guid())), xml);
  const [first, second, third] = codes(three.body);
  expect([first, third]).toEqual([35, 35]);
  expect(second).not.toBe(0);
  count('xml', 'SaveTicket_V4', first);
  count('xml', 'CloseTicket_V1', second);
  count('xml', 'SaveTicket_V4', third);
  answered('xml', three.status);

  // SOAP: a read that works and one that does not.
  for (const id of [ticket, MISSING]) {
    const res = await soap(
      `<a:TGetTicketRequest_V5><a:TicketId>${id}</a:TicketId></a:TGetTicketRequest_V5>`,
    );
    count('soap', 'GetTicket_V5', res.code);
    answered('soap', res.status);
  }
  // JSON: two commands and a batch of two.
  for (const id of [ticket, MISSING]) {
    const res = await json('commands/GetTicket_V5', { TicketId: id });
    count('json', 'GetTicket_V5', res.code);
    answered('json', res.status);
  }
  const pair = await json('batch', [
    { GetHelpdeskSettings_V1: {} },
    { GetTicket_V5: { TicketId: ticket } },
  ]);
  expect(pair.status).toBe(200);
  count('json', 'GetHelpdeskSettings_V1', 0);
  count('json', 'GetTicket_V5', 0);
  answered('json', 200);
  // Not commands: /health is an HTTP answer only, scrapes count nowhere.
  expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  answered('http', 200);
  await scrape();
  await scrape();

  const after = (await scrape()).samples;
  expect(Object.values(expected).reduce((a, b) => a + b)).toBe(15);
  expect(moved(before, after, 'acmp_requests_total')).toEqual(expected);
  expect(moved(before, after, 'acmp_http_responses_total')).toEqual(statuses);
  // One observation per command counted, each in some bucket up to +Inf.
  const observations: Record<string, number> = {};
  const infinite: Record<string, number> = {};
  for (const [k, n] of Object.entries(expected)) {
    const [, command, transport] = /command=([^,]*),result_code=[^,]*,transport=(\w+)/.exec(k)!;
    const count = key('acmp_request_duration_seconds_count', { command, transport });
    const inf = key('acmp_request_duration_seconds_bucket', { command, transport, le: '+Inf' });
    observations[count] = (observations[count] ?? 0) + n;
    infinite[inf] = (infinite[inf] ?? 0) + n;
  }
  expect(moved(before, after, 'acmp_request_duration_seconds_count')).toEqual(observations);
  for (const [inf, n] of Object.entries(infinite))
    expect((after.get(inf) ?? 0) - (before.get(inf) ?? 0)).toBe(n);
  expect(
    after.get('acmp_request_duration_seconds_sum{command=SaveTicket_V4,transport=xml}')! -
      (before.get('acmp_request_duration_seconds_sum{command=SaveTicket_V4,transport=xml}') ?? 0),
  ).toBeGreaterThan(0);
  // prom-client's process metrics come along.
  expect(after.get('process_resident_memory_bytes{}')).toBeGreaterThan(0);
});

test('the pool gauges follow connections in use and queries waiting for one', async () => {
  // A pool of one connection, so that a second query has to wait.
  const db = connect(process.env.TEST_DATABASE_URL!, { poolMax: 1, searchPath: gw.schema });
  const metrics = createMetrics({
    db,
    commandKeys: testRegistry().commands,
    authMode: 'open',
    processMetrics: false,
  });
  const read = async () => parse(await metrics.registry.metrics());
  let release = () => {};
  try {
    await db.raw('select 1');
    let samples = await read();
    expect([
      samples.get('acmp_db_pool_connections{state=used}'),
      samples.get('acmp_db_pool_connections{state=free}'),
      samples.get('acmp_db_pool_pending_acquires{}'),
    ]).toEqual([0, 1, 0]);
    const held = db.transaction(async (trx) => {
      await trx.raw('select 1');
      await new Promise<void>((resolve) => (release = resolve));
    });
    await sleep(100);
    const waiting = db.raw('select 1').then(() => 'answered');
    await sleep(DATABASE_READ_CACHE_MS);
    // The sessions and queues cannot be read either (no connection): the scrape still answers, in time.
    const started = Date.now();
    samples = await read();
    expect(Date.now() - started).toBeLessThan(SCRAPE_QUERY_TIMEOUT_MS + 300);
    expect([
      samples.get('acmp_db_pool_connections{state=used}'),
      samples.get('acmp_db_pool_connections{state=free}'),
      samples.get('acmp_db_pool_pending_acquires{}'),
    ]).toEqual([1, 0, 1]);
    expect(samples.get('acmp_metrics_database_read_ok{}')).toBe(0);
    release();
    expect(await waiting).toBe('answered');
    await held;
    await sleep(200); // the scrape's own query, queued behind them, is done too
    samples = await read();
    expect([
      samples.get('acmp_db_pool_connections{state=used}'),
      samples.get('acmp_db_pool_connections{state=free}'),
      samples.get('acmp_db_pool_pending_acquires{}'),
    ]).toEqual([0, 1, 0]);
  } finally {
    release();
    await db.destroy();
  }
});

test('acmp_sessions_active counts live sessions, read at most once a second', async () => {
  const active = async () => (await scrape()).samples.get('acmp_sessions_active{}');
  expect(await active()).toBe(1); // Anna's
  await bindSession(gw.db, BEN_SESSION, BEN);
  await sleep(DATABASE_READ_CACHE_MS);
  expect(await active()).toBe(2);
  // An ended session is not counted; a scrape within the second answers what was read.
  await gw
    .db('sessions')
    .where({ id: BEN_SESSION })
    .update({ ends_at: gw.db.raw("now() - interval '1 second'") });
  expect(await active()).toBe(2);
  await sleep(DATABASE_READ_CACHE_MS);
  expect(await active()).toBe(1);
  expect((await scrape()).samples.get('acmp_metrics_database_read_ok{}')).toBe(1);
});

test('acmp_bus_queue_messages: the messages waiting in each SICS target', async () => {
  const sics = async (path: string, body: unknown) => {
    const res = await fetch(`${gw.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': ANNA_SESSION },
      body: JSON.stringify(body),
    });
    expect(res.status).toBeLessThan(300);
    return res.json() as Promise<any>;
  };
  await sics('/VirtualRouter', { VirtualRouterName: 'Work' });
  await sics('/Target', {
    TargetName: 'jobs',
    VirtualRouter: 'Work',
    RoutingKeys: ['jobs'],
    TargetType: 'Queue',
  });
  await sics('/Target', {
    TargetName: 'idle',
    VirtualRouter: 'Work',
    RoutingKeys: ['idle'],
    TargetType: 'Queue',
  });
  for (let i = 0; i < 3; i++)
    await sics('/Publish', {
      Body: Buffer.from(`job ${i}`).toString('base64'),
      VirtualRouter: 'Work',
      Routing_Key: 'jobs',
      ExchangeType: 'ROUTING',
    });
  let samples = (await scrape()).samples;
  expect(moved(new Map(), samples, 'acmp_bus_queue_messages')).toEqual({
    'acmp_bus_queue_messages{target=jobs,user=Anna Admin}': 3,
  });
  expect(samples.get('acmp_bus_queue_messages{target=idle,user=Anna Admin}')).toBe(0);
  await sics('/Consume', { TargetName: 'jobs', MaxMessages: 2 });
  await sleep(DATABASE_READ_CACHE_MS);
  samples = (await scrape()).samples;
  expect(samples.get('acmp_bus_queue_messages{target=jobs,user=Anna Admin}')).toBe(1);
});

test('acmp_db_query_timeouts_total counts the queries PostgreSQL did not answer in time', async () => {
  const db = connect(process.env.TEST_DATABASE_URL!, { poolMax: 2, queryTimeoutMs: 200 });
  const metrics = createMetrics({
    db,
    commandKeys: testRegistry().commands,
    authMode: 'open',
    processMetrics: false,
  });
  const timeouts = async () =>
    parse(await metrics.registry.metrics()).get('acmp_db_query_timeouts_total{}');
  try {
    expect(await timeouts()).toBe(0);
    await db.raw('select 1');
    await expect(db.raw('select pg_sleep(2)')).rejects.toThrow(/Query read timeout/);
    expect(await timeouts()).toBe(1);
    await db.raw('select 1'); // an answered query does not count
    expect(await timeouts()).toBe(1);
  } finally {
    await db.destroy();
  }
});

test('/metrics with authentication required: loopback, the bearer token or an ADMIN session; 401 or 403 otherwise', async () => {
  await bindSession(gw.db, BEN_SESSION, BEN);
  const proxied = { 'X-Forwarded-For': '203.0.113.9' }; // a proxy on this machine relaying another
  expect((await scrape()).status).toBe(200); // a scraper on this machine
  const refused = await fetch(`${gw.url}/metrics`, { headers: proxied });
  expect(refused.status).toBe(401);
  expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
  expect(await refused.text()).toContain(
    '/metrics needs Authorization: Bearer <ACMP_METRICS_TOKEN>, or the X-SICS-SESSION of a user with the ADMIN permission',
  );
  expect(
    (await scrape({ ...proxied, Authorization: 'Bearer not-the-token-at-all-00000' })).status,
  ).toBe(401);
  expect((await scrape({ ...proxied, Authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  expect((await scrape({ ...proxied, 'X-SICS-SESSION': ANNA_SESSION })).status).toBe(200);
  const ben = await scrape({ ...proxied, 'X-SICS-SESSION': BEN_SESSION });
  expect([ben.status, ben.text]).toEqual([
    403,
    '/metrics needs the ADMIN permission, which user Ben Support does not have.\n',
  ]);
  // A gateway running open has nothing to protect that its commands do not already give away.
  const open = await startTestGateway('open', { metrics: {}, database: gw });
  try {
    expect((await fetch(`${open.url}/metrics`, { headers: proxied })).status).toBe(200);
  } finally {
    await open.stop();
  }
});
