// `npm run log -- export`: exchanges of the communication log on every transport become fixture
// cases that the replay tool passes against the gateway as they are; what cannot be replayed
// faithfully (a login's redacted secrets, bus calls that run no command) is skipped and counted.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { exportCases, parseTime } from '../../src/fixtures/from-log';
import { passwordHashOf } from '../../src/identity/passwords';
import { CommunicationLog } from '../../src/observability/communication-log';
import { replay } from '../../src/tools/fixtures/replay-cases';
import { parseLogArgs } from '../../src/tools/log';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
const TICKET = '{7B1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A10}';
const ATTACHMENT = '{7B1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A11}';
const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
const saveTicket = (title: string) =>
  request(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${TICKET}</Id><Title>${title}</Title></Ticket>`,
  );
const badSave = request(
  'SaveTicket',
  4,
  `<Ticket xsi:type="TTicket_V4"><Id>not-a-guid</Id><Title>x</Title></Ticket>`,
);

let database: TestDatabase;
let gw: TestGateway;
let log: CommunicationLog;
let out: string;
let logging = true; // off once the exchanges to export are made: the replays are not part of them

async function sics(method: string, p: string, body: unknown, session?: string) {
  const res = await fetch(`${gw.url}${p}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(session ? { 'X-SICS-SESSION': session } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => undefined)) as any };
}

beforeAll(async () => {
  database = await createTestDatabase();
  await database.reset();
  const listener = Object.assign(
    (...a: Parameters<CommunicationLog['listener']>) => logging && log.listener(...a),
    { captureBodies: () => logging },
  );
  gw = await startTestGateway('open', { database, exchangeListeners: [listener] });
  log = new CommunicationLog(database.db, {
    retentionDays: 7,
    maxBytes: 1e9,
    maxBodyBytes: 65_536,
    flushIntervalMs: 20,
    retentionIntervalMs: 0,
  });
  out = mkdtempSync(path.join(os.tmpdir(), 'acmp-log-export-'));

  // ICQL: a save, a refused save (35), a login (its PasswordHash is redacted in the log), an attachment.
  expect((await gw.post(saveTicket('Exported'), XML)).resultCode).toBe(0);
  expect((await gw.post(badSave, XML)).resultCode).toBe(35);
  const login = request(
    'LoginAcmpUser',
    1,
    `<Username>Anna Admin</Username><PasswordHash>${passwordHashOf('anna-demo-password')}</PasswordHash><SessionId>{${crypto.randomUUID().toUpperCase()}}</SessionId>`,
  );
  expect((await gw.post(login, XML)).resultCode).toBe(0);
  const attachment = `<TicketId>${TICKET}</TicketId><Attachments><TTicketAttachment_V1 xsi:type="TTicketAttachment_V1"><Id>${ATTACHMENT}</Id><DocumentId>{7B1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A12}</DocumentId><Name>n</Name><FileName>n.txt</FileName><Content>${b64('hello')}</Content></TTicketAttachment_V1></Attachments>`;
  expect((await gw.post(request('SaveTicketAttachments', 1, attachment), XML)).resultCode).toBe(0);
  expect(
    (
      await gw.post(
        request('GetTicketAttachment', 1, `<AttachmentId>${ATTACHMENT}</AttachmentId>`),
        XML,
      )
    ).resultCode,
  ).toBe(0);
  // SOAP: a read of the ticket.
  const soap = await fetch(`${gw.url}/soap`, {
    method: 'POST',
    headers: { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: '"GetTicket_V5"' },
    body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://acmp.com/soap"><s:Body><a:TGetTicketRequest_V5><a:TicketId>${TICKET}</a:TicketId></a:TGetTicketRequest_V5></s:Body></s:Envelope>`,
  });
  expect(soap.headers.get('x-acmp-result-code')).toBe('0');
  // JSON: a read, a read of a ticket that does not exist, and a batch (not converted).
  for (const id of [TICKET, '{7B1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1AFF}']) {
    await fetch(`${gw.url}/api/v1/commands/GetTicket_V5`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ TicketId: id }),
    });
  }
  await fetch(`${gw.url}/api/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '[{"GetHelpdeskSettings_V1":{}},{"GetTicketCategoryList_V1":{}}]',
  });
  // The bus: a refused save published to ACMP, its answer consumed.
  const bus = (
    await sics('POST', '/Session', { UserName: 'Anna Admin', Password: 'anna-demo-password' })
  ).json.Session;
  await sics('POST', '/VirtualRouter', { VirtualRouterName: 'Callback' }, bus);
  await sics(
    'POST',
    '/Target',
    { TargetName: 'answers', VirtualRouter: 'Callback', RoutingKeys: ['answers'] },
    bus,
  );
  expect(
    (
      await sics(
        'POST',
        '/Publish',
        {
          Body: b64(badSave),
          VirtualRouter: 'ACMP',
          Routing_Key: 'ACMP',
          Callback_VirtualRouter: 'Callback',
          Callback_Routing_Key: 'answers',
        },
        bus,
      )
    ).status,
  ).toBe(202);
  expect(
    (
      await sics(
        'POST',
        '/Consume',
        {
          VirtualRouter: 'Callback',
          TargetName: 'answers',
          WaitForMessage: true,
          WaitTimeout: 5000,
        },
        bus,
      )
    ).status,
  ).toBe(200);
  await new Promise((r) => setTimeout(r, 100));
  await log.flush();
  logging = false;
});
afterAll(async () => {
  await log.close();
  await gw.stop();
  await database.close();
  rmSync(out, { recursive: true, force: true });
});

const cases = (root: string) =>
  readdirSync(root).flatMap((command) =>
    readdirSync(path.join(root, command)).map((c) => `${command}/${c}`),
  );

test('every transport exported; the rest skipped with its reason; the folder replays as it is', async () => {
  const summary = await exportCases(database.db, {}, out);
  const written = cases(out).map((c) => c.replace(/\/\d{8}T\d{6}Z-/, '/'));
  expect(written.map((c) => c.replace(/-\d+$/, '')).sort()).toEqual(
    [
      'SaveTicket_V4/rc0-xml',
      'SaveTicket_V4/rc35-xml',
      'GetTicketAttachment_V1/rc0-xml',
      'GetTicket_V5/rc0-soap',
      'GetTicket_V5/rc0-json',
      `GetTicket_V5/rc${readFileSync(path.join(out, cases(out).find((c) => /GetTicket_V5\/.*-json/.test(c) && !/rc0/.test(c))!, 'response.xml'), 'utf8').match(/<ResultCode>(\d+)</)![1]}-json`,
      'SaveTicket_V4/rc35-sics',
    ].sort(),
  );
  const reasons = summary.skipped.map(
    (s) => `${s.id.replace(/^#\d+ /, '').replace(/, [^)]*\)$/, ')')}: ${s.reason}`,
  );
  expect(reasons).toEqual([
    expect.stringMatching(
      /^\(xml \/acmp\): the request held secrets .*replay logs in with --user instead$/,
    ), // the login
    expect.stringMatching(/^\(xml \/acmp\): the request held secrets or attachment content/), // the attachment's content
    '(json /api/v1/batch): a JSON batch (or another JSON call): only single commands are converted to ICQL',
    '(sics /Session): a bus call that runs no command (/Session)',
    '(sics /VirtualRouter): a bus call that runs no command (/VirtualRouter)',
    '(sics /Target): a bus call that runs no command (/Target)',
    '(sics /Consume): a bus call that runs no command (/Consume)',
  ]);
  // The attachment's content was never logged: its answer does not check it.
  const attachment = cases(out).find((c) => c.startsWith('GetTicketAttachment_V1/'))!;
  expect(readFileSync(path.join(out, attachment, 'response.xml'), 'utf8')).toContain(
    '<Content>{{any}}</Content>',
  );

  // A SOAP case declares the prefixes its payload uses.
  expect(
    readFileSync(path.join(out, cases(out).find((c) => /-soap-/.test(c))!, 'request.xml'), 'utf8'),
  ).toMatch(/<ICQL [^>]*xmlns:a="http:\/\/acmp.com\/soap"/);
  // Changed since (a comment moves LastModified): the exchange's own timestamps are not checked on replay.
  const comment = request(
    'SaveTicketComment',
    2,
    `<Comment xsi:type="TTicketComment_V2"><Id>{7B1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A20}</Id><TicketId>${TICKET}</TicketId><Text>later</Text></Comment>`,
  );
  expect((await gw.post(comment, XML)).resultCode).toBe(0);
  const lines: string[] = [];
  const result = await replay({ url: `${gw.url}/acmp`, paths: [out], out: (l) => lines.push(l) });
  expect(lines.join('\n')).toMatch(/^7 passed, 0 failed, 0 new$/m);
  expect(result.failed).toBe(0);
});

test('filters: command, ResultCode, transport, time, limit', async () => {
  const only = async (filters: Parameters<typeof exportCases>[1]) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-log-export-f-'));
    await exportCases(database.db, filters, dir);
    const found = cases(dir)
      .map((c) => c.replace(/\/\d{8}T\d{6}Z-/, '/').replace(/-\d+$/, ''))
      .sort();
    rmSync(dir, { recursive: true });
    return found;
  };
  expect(await only({ command: 'SaveTicket_V4', result: 35 })).toEqual([
    'SaveTicket_V4/rc35-sics',
    'SaveTicket_V4/rc35-xml',
  ]);
  expect(await only({ command: 'SaveTicket_V4', transport: 'xml' })).toEqual([
    'SaveTicket_V4/rc0-xml',
    'SaveTicket_V4/rc35-xml',
  ]);
  expect(await only({ until: new Date(Date.now() - 3_600_000) })).toEqual([]);
  // The newest one: the read of a ticket that does not exist.
  expect(await only({ command: 'GetTicket_V5', limit: 1 })).toEqual([
    expect.stringMatching(/^GetTicket_V5\/rc[1-9]\d*-json$/),
  ]);
  expect(await only({ user: 'nobody' })).toEqual([]);
});

test('a body cut by ACMP_LOG_MAX_BODY_BYTES is skipped, not exported half', async () => {
  const [{ id }] = await database
    .db('communication_log')
    .insert({
      at: new Date(),
      request_id: 'cut',
      transport: 'xml',
      method: 'POST',
      path: '/acmp',
      remote_address: '127.0.0.1',
      commands: ['SaveTicket_V4'],
      result_code: 0,
      http_status: 200,
      duration_ms: 1,
      request_body: `${saveTicket('x').slice(0, 100)}\n[… truncated: 500 characters in all, the first 100 kept]`,
      response_body: '<ICQL/>',
    })
    .returning('id');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-log-export-cut-'));
  const summary = await exportCases(database.db, { limit: 1 }, dir);
  expect(summary).toEqual({
    written: [],
    skipped: [
      {
        id: `#${id} (xml /acmp, cut)`,
        reason: 'a body was longer than ACMP_LOG_MAX_BODY_BYTES and was cut when logged',
      },
    ],
  });
  await database.db('communication_log').where({ id }).del();
  rmSync(dir, { recursive: true });
});

test('arguments: durations, dates and usage errors', () => {
  const now = Date.parse('2026-11-24T12:00:00Z');
  expect(parseTime('30m', now).toISOString()).toBe('2026-11-24T11:30:00.000Z');
  expect(parseTime('2d', now).toISOString()).toBe('2026-11-22T12:00:00.000Z');
  expect(parseTime('2026-11-24T18:00:00Z').toISOString()).toBe('2026-11-24T18:00:00.000Z');
  expect(
    parseLogArgs(
      [
        'export',
        '--command',
        'SaveTicket_V4',
        '--result',
        '35',
        '--since',
        '1h',
        '--out',
        'cases/',
      ],
      '/tmp',
    ),
  ).toMatchObject({
    filters: { command: 'SaveTicket_V4', result: 35, since: expect.any(Date) },
    out: '/tmp/cases',
  });
  expect(() => parseLogArgs(['export', '--result', 'x', '--out', 'c'], '/')).toThrow(
    '--result: give a whole number, not "x"',
  );
  expect(() => parseLogArgs(['export', '--since', 'yesterday', '--out', 'c'], '/')).toThrow(
    '--since: "yesterday" is neither a duration',
  );
  expect(() => parseLogArgs(['export', '--command', 'SaveTicket_V4'], '/')).toThrow(
    '--out <folder> is missing',
  );
  expect(() => parseLogArgs(['import'], '/')).toThrow('usage: npm run log -- export');
});

test('the CLI, as docs/qa.md shows it, against DATABASE_URL', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-log-cli-'));
  const url = new URL(process.env.TEST_DATABASE_URL!);
  url.searchParams.set('options', `-c search_path=${database.schema}`);
  const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'node_modules/ts-node/dist/bin.js'),
        '--transpile-only',
        'src/tools/log.ts',
        'export',
        '--command',
        'SaveTicket_V4',
        '--result',
        '35',
        '--since',
        '1h',
        '--out',
        dir,
      ],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, DATABASE_URL: url.href, INIT_CWD: PROJECT_ROOT },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    ),
  );
  expect(run).toMatchObject({ code: 0, stderr: '' });
  expect(run.stdout).toMatch(/^2 exchanges exported to .*, 0 skipped$/m);
  expect(cases(dir)).toHaveLength(2);
  for (const c of cases(dir)) expect(existsSync(path.join(dir, c, 'response.xml'))).toBe(true);
  rmSync(dir, { recursive: true });
}, 60_000);
