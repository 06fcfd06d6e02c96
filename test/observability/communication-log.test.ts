// The communication log: every exchange on every transport becomes one row with the agreed
// fields, secrets and attachment contents never reach it, it can be switched off, retention keeps
// it within its age and size, and its failures never reach a client.
import { loadConfig } from '../../src/config';
import { connect } from '../../src/db/connection';
import { passwordHashOf } from '../../src/identity/passwords';
import {
  CommunicationLog,
  type CommunicationLogRow,
  startCommunicationLog,
} from '../../src/observability/communication-log';
import type { ExchangeListener } from '../../src/observability/exchange';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
const ANNA = {
  name: 'Anna Admin',
  password: 'anna-demo-password',
  id: '10000000-0000-4000-8000-000000000001',
};
const TICKET = '{59387FFD-B171-47C5-B735-041FA132CA39}';
const SETTINGS = { retentionDays: 7, maxBytes: 512 * 1024 * 1024, maxBodyBytes: 65_536 };
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const saveTicket = request(
  'SaveTicket',
  4,
  `<Ticket xsi:type="TTicket_V4"><Id>${TICKET}</Id><Title>Printer does not print</Title></Ticket>`,
);
const loginBody = (session: string, createToken = false) =>
  request(
    'LoginAcmpUser',
    1,
    `<Username>${ANNA.name}</Username><PasswordHash>${passwordHashOf(ANNA.password)}</PasswordHash><SessionId>${session}</SessionId>${createToken ? '<CreateToken>true</CreateToken>' : ''}`,
  );
const newSession = () => `{${crypto.randomUUID().toUpperCase()}}`;

let database: TestDatabase;
let gw: TestGateway;
let log: CommunicationLog;
// The gateway needs its listener before the log exists: a forwarder.
let current: ExchangeListener | undefined;
const forward: ExchangeListener = Object.defineProperties(
  (...args: Parameters<ExchangeListener>) => current?.(...args),
  {
    captureBodies: { value: (path: string) => current?.captureBodies?.(path) ?? false },
    maxCaptureBytes: { get: () => current?.maxCaptureBytes },
    maxRequestCaptureBytes: { get: () => current?.maxRequestCaptureBytes },
  },
);

beforeAll(async () => {
  database = await createTestDatabase();
  gw = await startTestGateway('required', { database, exchangeListeners: [forward] });
});
afterAll(async () => {
  current = undefined;
  await log?.close();
  await gw.stop();
  await database.close();
});
beforeEach(async () => {
  await log?.close();
  await database.reset();
  log = new CommunicationLog(database.db, {
    ...SETTINGS,
    flushIntervalMs: 20,
    retentionIntervalMs: 0,
  });
  current = log.listener;
});

/** The row of one request, once the writer has written it (finish fires just after the answer). */
async function rowOf(requestId: string | null): Promise<CommunicationLogRow & { id: string }> {
  for (let i = 0; i < 100; i++) {
    await log.flush();
    const row = await database.db('communication_log').where({ request_id: requestId }).first();
    if (row) return row;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no row for request ${requestId}`);
}

async function login(
  session = newSession(),
  createToken = false,
): Promise<{ session: string; body: string }> {
  const res = await gw.post(loginBody(session, createToken), XML);
  expect(res.resultCode).toBe(0);
  return { session, body: res.body };
}

async function sics(method: string, path: string, body: unknown, session?: string) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(session ? { 'X-SICS-SESSION': session } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    json: text ? JSON.parse(text) : undefined,
    requestId: res.headers.get('x-request-id'),
  };
}

describe('every transport', () => {
  test('ICQL: time, caller, command, ResultCode, status, duration, content types and both bodies', async () => {
    const { session } = await login();
    const before = Date.now();
    const res = await gw.post(saveTicket, {
      ...XML,
      'X-SICS-SESSION': session,
      'X-Request-Id': 'commlog-xml-1',
    });
    expect(res.resultCode).toBe(0);
    const row = await rowOf('commlog-xml-1');
    expect(row).toMatchObject({
      transport: 'xml',
      method: 'POST',
      path: '/acmp',
      remote_address: expect.stringMatching(/127\.0\.0\.1/),
      user_id: ANNA.id,
      user_name: ANNA.name,
      commands: ['SaveTicket_V4'],
      result_code: 0,
      http_status: 200,
      request_content_type: 'text/xml; charset=utf-8',
      response_content_type: expect.stringMatching(/^text\/xml/),
      request_body: saveTicket,
      response_body: res.body,
    });
    expect(row.duration_ms).toBeGreaterThan(0);
    expect(new Date(row.at).getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(new Date(row.at).getTime()).toBeLessThanOrEqual(Date.now());
  });

  test('SOAP, JSON, a JSON batch, the SICS bus and plain HTTP; /health is not logged', async () => {
    const { session } = await login();
    const soapBody = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="http://acmp.com/soap"><soap:Header><tns:SessionId>${session}</tns:SessionId></soap:Header><soap:Body><tns:TGetTicketCategoryListRequest_V1/></soap:Body></soap:Envelope>`;
    const soap = await fetch(`${gw.url}/soap`, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: '"GetTicketCategoryList_V1"',
      },
      body: soapBody,
    });
    const soapAnswer = await soap.text();
    expect(soap.status).toBe(200);
    const soapRow = await rowOf(soap.headers.get('x-request-id'));
    expect(soapRow).toMatchObject({
      transport: 'soap',
      path: '/soap',
      user_name: ANNA.name,
      commands: ['GetTicketCategoryList_V1'],
      result_code: 0,
      http_status: 200,
      response_body: soapAnswer,
    });
    expect(soapRow.request_body).toBe(soapBody.replace(session, '[redacted]'));

    const json = await fetch(`${gw.url}/api/v1/commands/GetTicket_V5`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
      body: JSON.stringify({ TicketId: '{00000000-0000-4000-8000-00000000DEAD}' }),
    });
    const jsonAnswer = await json.text();
    const jsonRow = await rowOf(json.headers.get('x-request-id'));
    expect(jsonRow).toMatchObject({
      transport: 'json',
      path: '/api/v1/commands/GetTicket_V5',
      user_name: ANNA.name,
      commands: ['GetTicket_V5'],
      result_code: Number(json.headers.get('x-acmp-result-code')),
      http_status: 200,
      request_content_type: 'application/json',
      response_body: jsonAnswer,
    });
    expect(jsonRow.result_code).not.toBe(0);
    expect(jsonRow.request_body).toBe('{"TicketId":"{00000000-0000-4000-8000-00000000DEAD}"}');

    const batch = await fetch(`${gw.url}/api/v1/batch`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
      body: '[{"GetHelpdeskSettings_V1":{}},{"GetTicketCategoryList_V1":{}}]',
    });
    expect(await rowOf(batch.headers.get('x-request-id'))).toMatchObject({
      transport: 'json',
      commands: ['GetHelpdeskSettings_V1', 'GetTicketCategoryList_V1'],
      result_code: 0,
    });

    // The bus: the published ICQL is shown decoded, and the answer queued for the callback with it.
    const bus = (await sics('POST', '/Session', { UserName: ANNA.name, Password: ANNA.password }))
      .json.Session;
    await sics('POST', '/VirtualRouter', { VirtualRouterName: 'Callback' }, bus);
    await sics(
      'POST',
      '/Target',
      { TargetName: 'answers', VirtualRouter: 'Callback', RoutingKeys: ['answers'] },
      bus,
    );
    const publish = await sics(
      'POST',
      '/Publish',
      {
        Body: b64(saveTicket),
        VirtualRouter: 'ACMP',
        Routing_Key: 'ACMP',
        Callback_VirtualRouter: 'Callback',
        Callback_Routing_Key: 'answers',
      },
      bus,
    );
    expect(publish.status).toBe(202);
    const publishRow = await rowOf(publish.requestId);
    expect(publishRow).toMatchObject({
      transport: 'sics',
      method: 'POST',
      path: '/Publish',
      user_name: ANNA.name,
      commands: ['SaveTicket_V4'],
      result_code: 0,
      http_status: 202,
    });
    expect(JSON.parse(publishRow.request_body)).toMatchObject({
      Body: saveTicket,
      VirtualRouter: 'ACMP',
    });
    const answered = JSON.parse(publishRow.response_body);
    expect(answered.MessageId).toBe(publish.json.MessageId);
    expect(field(answered.QueuedAnswer, 'ResultCode')).toBe('0');
    const consume = await sics(
      'POST',
      '/Consume',
      { VirtualRouter: 'Callback', TargetName: 'answers', WaitForMessage: true, WaitTimeout: 5000 },
      bus,
    );
    const consumeRow = await rowOf(consume.requestId);
    expect(consumeRow).toMatchObject({
      transport: 'sics',
      path: '/Consume',
      http_status: 200,
      commands: [],
    });
    expect(JSON.parse(consumeRow.response_body).Messages[0].Body).toBe(answered.QueuedAnswer);

    const missing = await fetch(`${gw.url}/nowhere`);
    expect(await rowOf(missing.headers.get('x-request-id'))).toMatchObject({
      transport: 'http',
      method: 'GET',
      path: '/nowhere',
      http_status: 404,
      commands: [],
      result_code: null,
      user_id: null,
      request_body: '',
    });

    const health = await fetch(`${gw.url}/health`, {
      headers: { 'X-Request-Id': 'commlog-health' },
    });
    expect(health.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    await log.flush();
    expect(await database.db('communication_log').where({ request_id: 'commlog-health' })).toEqual(
      [],
    );
  });

  test('a body longer than ACMP_LOG_MAX_BODY_BYTES is cut and says so', async () => {
    log = new CommunicationLog(database.db, {
      ...SETTINGS,
      maxBodyBytes: 300,
      flushIntervalMs: 20,
      retentionIntervalMs: 0,
    });
    current = log.listener;
    const res = await gw.post(saveTicket, { ...XML, 'X-Request-Id': 'commlog-long' });
    expect(res.status).toBe(200);
    const row = await rowOf('commlog-long');
    expect(row.request_body).toBe(
      `${saveTicket.slice(0, 300)}\n[… truncated: ${saveTicket.length} characters in all, the first 300 kept]`,
    );
  });
});

test('a body with a NUL character (PostgreSQL text holds none) is stored, and its batch with it', async () => {
  const res = await gw.post(`<ICQL>\0</ICQL>`, { ...XML, 'X-Request-Id': 'commlog-nul' });
  expect(res.status).toBe(200);
  expect((await rowOf('commlog-nul')).request_body).toBe('<ICQL>\uFFFD</ICQL>');
  expect(log.failed).toBe(0);
});

test('a large attachment published on the bus: stored whole with its size, not cut (the bus keeps no raw text)', async () => {
  const { session } = await login();
  expect((await gw.post(saveTicket, { ...XML, 'X-SICS-SESSION': session })).resultCode).toBe(0);
  const bytes = 150_000; // Base64 of it is far over ACMP_LOG_MAX_BODY_BYTES (65 536)
  const content = Buffer.alloc(bytes, 7).toString('base64');
  const save = request(
    'SaveTicketAttachments',
    1,
    `<TicketId>${TICKET}</TicketId><Attachments><TTicketAttachment_V1 xsi:type="TTicketAttachment_V1"><Id>{A0000000-0000-4000-8000-000000000009}</Id><DocumentId>{A0000000-0000-4000-8000-00000000000A}</DocumentId><Name>big</Name><FileName>big.bin</FileName><Content>${content}</Content></TTicketAttachment_V1></Attachments>`,
  );
  const bus = (await sics('POST', '/Session', { UserName: ANNA.name, Password: ANNA.password }))
    .json.Session;
  await sics('POST', '/VirtualRouter', { VirtualRouterName: 'Callback' }, bus);
  await sics(
    'POST',
    '/Target',
    { TargetName: 'answers', VirtualRouter: 'Callback', RoutingKeys: ['answers'] },
    bus,
  );
  const publish = await sics(
    'POST',
    '/Publish',
    {
      Body: b64(save),
      VirtualRouter: 'ACMP',
      Routing_Key: 'ACMP',
      Callback_VirtualRouter: 'Callback',
      Callback_Routing_Key: 'answers',
    },
    bus,
  );
  expect(publish.status).toBe(202);
  const row = await rowOf(publish.requestId);
  expect(row).toMatchObject({ commands: ['SaveTicketAttachments_V1'], result_code: 0 });
  expect(JSON.parse(row.request_body).Body).toBe(save.replace(content, `[${bytes} bytes]`));
});

describe('redaction: no secret and no attachment content in any stored row', () => {
  async function everything(): Promise<string> {
    await log.flush();
    const rows = await database.db('communication_log').select('*');
    return JSON.stringify(rows);
  }

  test('a login, a token login, a SOAP session header, a SICS session and an attachment', async () => {
    const secrets: string[] = [ANNA.password, passwordHashOf(ANNA.password)];
    // A password login that asks for a token; the token is in the answer.
    const first = await login(newSession(), true);
    const token = field(first.body, 'Token')!;
    expect(token).toMatch(/^[0-9a-f]{32,}$/);
    secrets.push(first.session, token);
    // A token login; its answer may carry a new token.
    const tokenSession = newSession();
    const tokenLogin = await gw.post(
      request(
        'TokenLoginAcmpUser',
        1,
        `<UserName>${ANNA.name}</UserName><Token>${token}</Token><SessionId>${tokenSession}</SessionId>`,
      ),
      XML,
    );
    expect(tokenLogin.resultCode).toBe(0);
    secrets.push(tokenSession);
    if (field(tokenLogin.body, 'Token')) secrets.push(field(tokenLogin.body, 'Token')!);
    // The session in a SOAP header.
    await fetch(`${gw.url}/soap`, {
      method: 'POST',
      headers: {
        'Content-Type': 'text/xml; charset=utf-8',
        SOAPAction: '"GetTicketCategoryList_V1"',
      },
      body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header><x:SessionId xmlns:x="http://acmp.com/soap">${tokenSession}</x:SessionId></s:Header><s:Body><TGetTicketCategoryListRequest_V1 xmlns="http://acmp.com/soap"/></s:Body></s:Envelope>`,
    });
    // The SICS bus: the password in POST /Session, the session in its answer and in X-SICS-SESSION.
    const bus = await sics('POST', '/Session', { UserName: ANNA.name, Password: ANNA.password });
    expect(bus.status).toBe(200);
    secrets.push(bus.json.Session);
    await sics('POST', '/VirtualRouter', { VirtualRouterName: 'Callback' }, bus.json.Session);
    // An attachment, saved over ICQL and over the bus, read back over ICQL and JSON.
    const content = b64('attachment text that must never be logged: 42');
    secrets.push(content);
    expect(
      (await gw.post(saveTicket, { ...XML, 'X-SICS-SESSION': first.session })).resultCode,
    ).toBe(0);
    const attachment = '{A0000000-0000-4000-8000-000000000001}';
    const saveAttachment = request(
      'SaveTicketAttachments',
      1,
      `<TicketId>${TICKET}</TicketId><Attachments><TTicketAttachment_V1 xsi:type="TTicketAttachment_V1"><Id>${attachment}</Id><DocumentId>{A0000000-0000-4000-8000-000000000002}</DocumentId><Name>n</Name><FileName>n.txt</FileName><Content>${content}</Content></TTicketAttachment_V1></Attachments>`,
    );
    expect(
      (await gw.post(saveAttachment, { ...XML, 'X-SICS-SESSION': first.session })).resultCode,
    ).toBe(0);
    const read = await gw.post(
      request('GetTicketAttachment', 1, `<AttachmentId>${attachment}</AttachmentId>`),
      { ...XML, 'X-SICS-SESSION': first.session, 'X-Request-Id': 'commlog-read-attachment' },
    );
    expect(read.body).toContain(content);
    const json = await fetch(`${gw.url}/api/v1/commands/GetTicketAttachment_V1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': first.session },
      body: JSON.stringify({ AttachmentId: attachment }),
    });
    expect(await json.text()).toContain(content);
    await sics(
      'POST',
      '/Target',
      { TargetName: 'answers', VirtualRouter: 'Callback', RoutingKeys: ['answers'] },
      bus.json.Session,
    );
    const published = await sics(
      'POST',
      '/Publish',
      {
        Body: b64(request('GetTicketAttachment', 1, `<AttachmentId>${attachment}</AttachmentId>`)),
        VirtualRouter: 'ACMP',
        Routing_Key: 'ACMP',
        Callback_VirtualRouter: 'Callback',
        Callback_Routing_Key: 'answers',
      },
      bus.json.Session,
    );
    expect(published.status).toBe(202);
    const consumed = await sics(
      'POST',
      '/Consume',
      { VirtualRouter: 'Callback', TargetName: 'answers', WaitForMessage: true, WaitTimeout: 5000 },
      bus.json.Session,
    );
    expect(Buffer.from(consumed.json.Messages[0].Body, 'base64').toString('utf8')).toContain(
      content,
    );

    const stored = await everything();
    expect(JSON.parse(stored).length).toBeGreaterThanOrEqual(12);
    for (const secret of secrets)
      expect({ secret, found: stored.includes(secret) }).toEqual({ secret, found: false });
    // What is shown instead: the marker, and the attachment's size.
    const readRow = await rowOf('commlog-read-attachment');
    expect(readRow.response_body).toContain(
      `<Content>[${Buffer.from(content, 'base64').length} bytes]</Content>`,
    );
    expect(stored).toContain('<PasswordHash>[redacted]</PasswordHash>');
  });
});

describe('switched off', () => {
  test('ACMP_LOG=off runs no log: nothing is stored', async () => {
    const settings = loadConfig({ ACMP_LOG: 'off' }).communicationLog;
    expect(settings.enabled).toBe(false);
    const off = startCommunicationLog(database.db, settings);
    expect(off).toBeUndefined();
    current = off?.listener;
    const res = await gw.post(saveTicket, { ...XML, 'X-Request-Id': 'commlog-off' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    await log.flush();
    expect(await database.db('communication_log').count('* as n')).toEqual([{ n: 0 }]);
    // On by default; anything but on/off is refused at start.
    expect(loadConfig({}).communicationLog).toEqual({
      enabled: true,
      retentionDays: 7,
      maxBytes: 512 * 1024 * 1024,
      maxBodyBytes: 65_536,
    });
    expect(() => loadConfig({ ACMP_LOG: 'yes' })).toThrow('ACMP_LOG must be on or off, not "yes"');
    expect(
      startCommunicationLog(database.db, loadConfig({ ACMP_LOG: 'on' }).communicationLog, {
        retentionIntervalMs: 0,
      }),
    ).toBeInstanceOf(CommunicationLog);
  });
});

describe('retention', () => {
  const row = (at: Date, body = 'x'): CommunicationLogRow => ({
    at,
    request_id: `r-${at.getTime()}-${Math.random()}`,
    transport: 'xml',
    method: 'POST',
    path: '/acmp',
    remote_address: '127.0.0.1',
    user_id: null,
    user_name: null,
    commands: ['SaveTicket_V4'],
    result_code: 0,
    http_status: 200,
    duration_ms: 1,
    request_content_type: null,
    response_content_type: null,
    request_body: body,
    response_body: body,
  });
  const day = 86_400_000;

  test('by age: rows older than ACMP_LOG_RETENTION_DAYS go, newer ones stay', async () => {
    const now = Date.now();
    await database
      .db('communication_log')
      .insert([
        row(new Date(now - 8 * day)),
        row(new Date(now - 7 * day - 60_000)),
        row(new Date(now - 6 * day)),
        row(new Date(now)),
      ]);
    expect(await log.retention()).toEqual({ byAge: 2, bySize: 0 });
    const left = await database.db('communication_log').select('at').orderBy('at');
    expect(left.map((r: { at: Date }) => Math.round((now - r.at.getTime()) / day))).toEqual([6, 0]);
  });

  test('by size: the oldest rows beyond the budget go, the newest stay within it', async () => {
    const sized = new CommunicationLog(database.db, {
      ...SETTINGS,
      maxBytes: 10_000,
      retentionIntervalMs: 0,
    });
    const now = Date.now();
    // 20 rows of about 1 000 stored bytes each (random text: it does not compress).
    const random = () => Array.from({ length: 400 }, () => Math.random().toString(36)[2]).join('');
    await database
      .db('communication_log')
      .insert(Array.from({ length: 20 }, (_, i) => row(new Date(now - (20 - i) * 1000), random())));
    const { bySize } = await sized.retention();
    const left = await database.db('communication_log').select('at').orderBy('at');
    expect(bySize).toBe(20 - left.length);
    expect(left.length).toBeGreaterThanOrEqual(8);
    expect(left.length).toBeLessThanOrEqual(12);
    // The newest ones are kept.
    expect(left[left.length - 1].at.getTime()).toBe(now - 1000);
    await sized.close();
  });
});

describe('the log never harms a request', () => {
  test('a failing database write: the request is answered, the rows are counted as lost, close() still ends', async () => {
    // A connection whose search path has no communication_log: every INSERT fails.
    const broken = connect(process.env.TEST_DATABASE_URL!, {
      searchPath: 'no_such_schema',
      poolMax: 2,
    });
    const complaints: unknown[] = [];
    const failing = new CommunicationLog(broken, {
      ...SETTINGS,
      flushIntervalMs: 10,
      retentionIntervalMs: 0,
      log: (m) => complaints.push(m),
    });
    const { session } = await login();
    current = failing.listener;
    for (let i = 0; i < 3; i++) {
      const res = await gw.post(saveTicket, { ...XML, 'X-SICS-SESSION': session });
      expect(res.status).toBe(200);
      expect(res.resultCode).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 100));
    await failing.close();
    expect(failing.failed).toBe(3);
    expect(failing.written).toBe(0);
    expect(complaints).toHaveLength(1); // one line, not one per batch
    await broken.destroy();
  });

  test('the queue is bounded: beyond it the oldest rows are dropped and counted', async () => {
    const slow = new CommunicationLog(database.db, {
      ...SETTINGS,
      flushIntervalMs: 60_000,
      batchRows: 1000,
      maxQueueRows: 3,
      retentionIntervalMs: 0,
    });
    current = slow.listener;
    for (let i = 0; i < 5; i++)
      await gw.post(saveTicket, { ...XML, 'X-Request-Id': `commlog-queue-${i}` });
    await new Promise((r) => setTimeout(r, 50));
    expect(slow.dropped).toBe(2);
    await slow.close(); // close writes what is queued
    const ids = (await database.db('communication_log').select('request_id').orderBy('id')).map(
      (r: { request_id: string }) => r.request_id,
    );
    expect(ids).toEqual(['commlog-queue-2', 'commlog-queue-3', 'commlog-queue-4']);
  });
});
