// JSON logs (pino): one line per finished exchange carrying the X-Request-Id it was answered
// with; the core's error lines carry it too; no password, token, session id or attachment content
// in the logs nor in /metrics, also not through a database error quoting the values it refused.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app';
import { connect } from '../../src/db/connection';
import { passwordHashOf } from '../../src/identity/passwords';
import { exchangeLogListener } from '../../src/observability/exchange';
import { coreLogger, createLogger } from '../../src/observability/logger';
import { request, startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

/** pino writing into memory: every line must be one JSON object. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((l) => l !== ''),
      );
      done();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return { logger, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
};

const logs = capture();
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('required', {
    metrics: {},
    exchangeListeners: [exchangeLogListener(logs.logger)],
    log: coreLogger(logs.logger),
  });
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
  logs.lines.length = 0;
});

test('one JSON line per exchange, with the X-Request-Id of its answer, the caller, the commands and the ResultCode; no body', async () => {
  const res = await gw.post(
    request('GetTicket', 5, '<TicketId>{00000000-0000-4000-8000-00000000DEAD}</TicketId>'),
    { 'Content-Type': 'text/xml' },
  );
  const id = res.headers.get('x-request-id')!;
  await until(() => logs.lines.length > 0);
  expect(logs.records()).toEqual([
    {
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      pid: process.pid,
      hostname: expect.any(String),
      requestId: id,
      transport: 'xml',
      method: 'POST',
      path: '/acmp',
      status: 200,
      commands: ['GetTicket_V5'],
      resultCode: 7,
      durationMs: expect.any(Number),
      remoteAddress: '127.0.0.1',
      msg: expect.stringMatching(/^POST \/acmp 200 GetTicket_V5 ResultCode 7 [\d.]+ ms$/),
    },
  ]);
  // A client's own id is the one logged.
  await fetch(`${gw.url}/api/v1/commands/GetHelpdeskSettings_V1`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'qa-run-7' },
    body: '{}',
  });
  await until(() => logs.lines.length > 1);
  expect(logs.records()[1]).toMatchObject({
    requestId: 'qa-run-7',
    transport: 'json',
    commands: ['GetHelpdeskSettings_V1'],
    resultCode: 7,
  });
});

test("the core's error lines carry the request id of the exchange they happened in", async () => {
  // Nothing listens on port 1: every command finds the database unavailable (19) and logs why.
  const db = connect('postgres://nobody:secret@127.0.0.1:1/none', { queryTimeoutMs: 1000 });
  const local = capture();
  const server = buildApp({
    db,
    registry: testRegistry(),
    bodyLimit: '1mb',
    authMode: 'open',
    log: coreLogger(local.logger),
    exchangeListeners: [exchangeLogListener(local.logger)],
  }).listen(0, '127.0.0.1');
  try {
    await new Promise((r) => server.once('listening', r));
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/xml' },
      body: request(
        'SaveTicket',
        4,
        '<Ticket><Id>{00000000-0000-4000-8000-0000000000A1}</Id><Title>x</Title></Ticket>',
      ),
    });
    expect(res.headers.get('x-acmp-result-code')).toBe('19');
    await until(() => local.lines.length > 1);
    const [error, exchange] = local.records();
    expect(error).toMatchObject({
      level: 50,
      requestId: res.headers.get('x-request-id'),
      msg: expect.stringMatching(/^database unavailable [0-9a-f-]{36}$/),
      err: {
        type: 'Error',
        code: 'ECONNREFUSED',
        message: expect.stringContaining('ECONNREFUSED'),
        stack: expect.stringMatching(/^\s+at /),
      },
    });
    expect(exchange).toMatchObject({
      level: 30,
      requestId: res.headers.get('x-request-id'),
      resultCode: 19,
    });
  } finally {
    await new Promise((r) => server.close(r));
    await db.destroy();
  }
});

test('a login, a token login, a SICS session and an attachment leave no secret and no content in the JSON logs nor in /metrics', async () => {
  const password = 'anna-demo-password';
  const passwordHash = passwordHashOf(password);
  const session = `log-secret-session-${randomUUID()}`;
  const tokenSession = `log-secret-token-session-${randomUUID()}`;
  const xml = (body: string, headers: Record<string, string> = {}) =>
    gw.post(body, { 'Content-Type': 'text/xml', ...headers });

  const login = await xml(
    request(
      'LoginAcmpUser',
      1,
      `<Username>Anna Admin</Username><PasswordHash>${passwordHash}</PasswordHash><SessionId>${session}</SessionId><CreateToken>true</CreateToken>`,
    ),
  );
  const token = /<Token>([^<]+)<\/Token>/.exec(login.body)![1];
  expect(login.resultCode).toBe(0);
  expect(
    (
      await xml(
        request(
          'TokenLoginAcmpUser',
          1,
          `<UserName>Anna Admin</UserName><Token>${token}</Token><SessionId>${tokenSession}</SessionId>`,
        ),
      )
    ).resultCode,
  ).toBe(0);
  const sics = await fetch(`${gw.url}/Session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ UserName: 'Anna Admin', Password: password }),
  });
  const sicsSession = ((await sics.json()) as { Session: string }).Session;
  expect(sicsSession).toBeTruthy();
  const content = `attachment content ${randomUUID()}`;
  const base64 = Buffer.from(content).toString('base64');
  const ticket = '{59387FFD-B171-47C5-B735-0000000A77AC}';
  expect(
    (
      await xml(
        request('SaveTicket', 4, `<Ticket><Id>${ticket}</Id><Title>With a file</Title></Ticket>`),
        { 'X-SICS-SESSION': session },
      )
    ).resultCode,
  ).toBe(0);
  const saved = await xml(
    request(
      'SaveTicketAttachments',
      1,
      `<TicketId>${ticket}</TicketId><Attachments><TTicketAttachment_V1><Id>{A0000000-0000-4000-8000-000000000001}</Id><DocumentId>{D0000000-0000-4000-8000-000000000001}</DocumentId><Name>f</Name><FileName>f.txt</FileName><Content>${base64}</Content></TTicketAttachment_V1></Attachments>`,
    ),
    { 'X-SICS-SESSION': tokenSession },
  );
  expect(saved.resultCode).toBe(0);
  expect(
    (
      await xml(
        request(
          'GetTicketAttachment',
          1,
          '<AttachmentId>{A0000000-0000-4000-8000-000000000001}</AttachmentId>',
        ),
        { 'X-SICS-SESSION': sicsSession },
      )
    ).body,
  ).toContain(base64);
  // A database error whose detail and message would quote a session id: Knex and PostgreSQL put values there.
  const duplicate = await gw.db
    .raw(
      'insert into sessions (id, user_id, created_at, last_seen, ends_at) select id, user_id, created_at, last_seen, ends_at from sessions where id = ?',
      [session],
    )
    .catch((e: unknown) => e);
  expect(String((duplicate as { detail?: string }).detail)).toContain(session); // what would leak
  coreLogger(logs.logger)('internal error while saving a session', duplicate);
  const invalid = await gw.db
    .raw('select ?::uuid', [`not-a-uuid-${token}`])
    .catch((e: unknown) => e);
  expect(String((invalid as Error).message)).toContain(token);
  coreLogger(logs.logger)('internal error while reading', invalid);

  const metrics = await (await fetch(`${gw.url}/metrics`)).text();
  await until(() => logs.lines.length >= 8);
  const logged = logs.lines.join('\n');
  // Not vacuous: the exchanges and the errors are there, by name.
  expect(
    logs
      .records()
      .filter((r) => r.requestId)
      .map((r) => r.commands?.join() ?? r.path),
  ).toEqual(
    expect.arrayContaining([
      'LoginAcmpUser_V1',
      'TokenLoginAcmpUser_V1',
      '',
      'SaveTicketAttachments_V1',
      'GetTicketAttachment_V1',
    ]),
  );
  expect(
    logs.records().find((r) => r.msg === 'internal error while saving a session')?.err,
  ).toMatchObject({ code: '23505', constraint: 'sessions_pkey', table: 'sessions' });
  // Knex's prefix is the SQL with placeholders; PostgreSQL's quoted input is cut.
  expect(logs.records().find((r) => r.msg === 'internal error while reading')?.err).toMatchObject({
    code: '22P02',
    message: 'select $1::uuid - invalid input syntax for type uuid: "…"',
  });
  expect(metrics).toContain(
    'acmp_requests_total{transport="xml",command="LoginAcmpUser_V1",result_code="0"}',
  );
  for (const secret of [
    password,
    passwordHash,
    passwordHash.toLowerCase(),
    session,
    tokenSession,
    token,
    sicsSession,
    content,
    base64,
  ]) {
    expect({
      secret,
      inLogs: logged.includes(secret),
      inMetrics: metrics.includes(secret),
    }).toEqual({ secret, inLogs: false, inMetrics: false });
  }
});
