// The console's JSON API over rows put straight into communication_log: who may read it, the
// filters and cursors, the per-command figures PostgreSQL computes, and the fixture download
// that `npm run replay` reads as it is. The page itself is driven in Chromium (console.test.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findFixtureCases } from '../../src/fixtures/discover';
import { readTar, writeTar } from '../../src/fixtures/tar';
import { bindSession } from '../../src/identity/sessions';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const ANNA = '10000000-0000-4000-8000-000000000001';
const BEN = '10000000-0000-4000-8000-000000000002';
const ADMIN_SESSION = 'console-api-admin-session-0000000000';
const HELPDESK_SESSION = 'console-api-helpdesk-session-00000000';

let gw: TestGateway;
let open: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('required');
  open = await startTestGateway('open', { database: gw });
});
afterAll(async () => {
  await open.stop();
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
  await bindSession(gw.db, ADMIN_SESSION, ANNA);
  await bindSession(gw.db, HELPDESK_SESSION, BEN);
});

interface Row {
  at?: string;
  transport?: string;
  path?: string;
  user_name?: string | null;
  commands?: string[];
  result_code?: number | null;
  duration_ms?: number;
  request_body?: string;
  response_body?: string;
}

/** Inserts log rows (as the writer would) and returns their ids in order. */
async function log(...rows: Row[]): Promise<number[]> {
  const ids: number[] = [];
  for (const r of rows) {
    const [row] = await gw
      .db('communication_log')
      .insert({
        at: r.at ?? gw.db.raw('now()'),
        request_id: 'r',
        transport: r.transport ?? 'xml',
        method: 'POST',
        path: r.path ?? '/acmp',
        remote_address: '127.0.0.1',
        user_id: null,
        user_name: r.user_name === undefined ? 'Ben Support' : r.user_name,
        commands: r.commands ?? ['GetTicket_V5'],
        result_code: r.result_code === undefined ? 0 : r.result_code,
        http_status: 200,
        duration_ms: r.duration_ms ?? 1,
        request_content_type: 'text/xml',
        response_content_type: 'text/xml; charset=utf-8',
        request_body: r.request_body ?? '<ICQL/>',
        response_body: r.response_body ?? '<ICQL/>',
      })
      .returning('id');
    ids.push(Number(row.id));
  }
  return ids;
}

async function get(url: string, session?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { headers: session ? { 'X-SICS-SESSION': session } : {} });
  return {
    status: res.status,
    json: res.headers.get('content-type')?.includes('json') ? await res.json() : undefined,
  };
}

test('the API needs an administrator once authentication is on; open mode without a session may read', async () => {
  await log({});
  const none = await get(`${gw.url}/console/api/exchanges`);
  expect(none).toEqual({
    status: 401,
    json: {
      error: expect.stringMatching(
        /needs an administrator: log in with LoginAcmpUser_V1 and send the session in X-SICS-SESSION/,
      ),
    },
  });
  const helpdesk = await get(`${gw.url}/console/api/exchanges`, HELPDESK_SESSION);
  expect(helpdesk).toEqual({
    status: 403,
    json: {
      error:
        'The console needs the permission ADMIN, which user Ben Support does not have: log in as an administrator',
    },
  });
  const dead = await get(`${gw.url}/console/api/charts`, 'console-api-no-such-session-000000000');
  expect(dead.status).toBe(401);
  expect(dead.json.error).toMatch(/unknown or has expired/);
  for (const path of ['exchanges/1', 'exchanges/1/fixture', 'charts'])
    expect((await get(`${gw.url}/console/api/${path}`, HELPDESK_SESSION)).status).toBe(403);

  expect((await get(`${gw.url}/console/api/exchanges`, ADMIN_SESSION)).json.exchanges).toHaveLength(
    1,
  );
  expect((await get(`${open.url}/console/api/exchanges`)).json.exchanges).toHaveLength(1);
  // Open mode still checks a session that is sent.
  expect((await get(`${open.url}/console/api/exchanges`, HELPDESK_SESSION)).status).toBe(403);
});

test('the page is served with its own script and styles only, under a policy that runs no other script', async () => {
  const page = await fetch(`${gw.url}/console`);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
  const html = await page.text();
  expect(html).toContain('data-auth="required"');
  expect(html).not.toMatch(/https?:\/\//);
  expect(await (await fetch(`${open.url}/console`)).text()).toContain('data-auth="open"');
  for (const asset of ['console.js', 'console.css']) {
    const res = await fetch(`${gw.url}/console/${asset}`);
    expect(res.status).toBe(200);
    expect(await res.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/); // nothing from the internet
  }
});

test("filters, newest first, paging back and the tail cursor; the console's own calls are not listed", async () => {
  const [a, b, c, d] = await log(
    { commands: ['SaveTicket_V4'], result_code: 0, user_name: 'Anna Admin' },
    { commands: ['GetTicket_V5'], result_code: 12, user_name: 'Ben Support' },
    { commands: ['SaveTicket_V3', 'GetTicket_V5'], result_code: 35, user_name: 'Ben Support' },
    { commands: [], result_code: null, user_name: null, transport: 'http', path: '/health' },
  );
  await log({ transport: 'http', path: '/console/api/exchanges', commands: [] });
  const ids = async (query: string) =>
    (await get(`${gw.url}/console/api/exchanges?${query}`, ADMIN_SESSION)).json.exchanges.map(
      (e: { id: number }) => e.id,
    );
  expect(await ids('')).toEqual([d, c, b, a]);
  expect(await ids('command=GetTicket_V5')).toEqual([c, b]);
  expect(await ids('command=SaveTicket')).toEqual([c, a]);
  expect(await ids('result=12')).toEqual([b]);
  expect(await ids('result=0')).toEqual([a]);
  expect(await ids('user=ben')).toEqual([c, b]);
  expect(await ids('user=%25')).toEqual([]); // a LIKE wildcard is a plain character
  expect(await ids(`before=${c}`)).toEqual([b, a]);
  expect(await ids(`after=${a}`)).toEqual([b, c, d]); // the tail: oldest first
  expect(await ids(`after=${a}&result=35`)).toEqual([c]);

  await gw
    .db('communication_log')
    .where({ id: a })
    .update({ at: new Date('2026-01-01T10:00:00Z') });
  expect(await ids('to=2026-01-01T11:00:00Z')).toEqual([a]);
  expect(await ids('from=2026-01-01T11:00:00Z')).toEqual([d, c, b]);

  const bad = await get(`${gw.url}/console/api/exchanges?result=abc`, ADMIN_SESSION);
  expect(bad).toEqual({ status: 400, json: { error: 'result must be a whole number' } });
  expect((await get(`${gw.url}/console/api/exchanges?from=yesterday`, ADMIN_SESSION)).status).toBe(
    400,
  );
  expect((await get(`${gw.url}/console/api/exchanges/999999`, ADMIN_SESSION)).status).toBe(404);

  const one = await get(`${gw.url}/console/api/exchanges/${b}`, ADMIN_SESSION);
  expect(one.json).toMatchObject({
    id: b,
    commands: ['GetTicket_V5'],
    resultCode: 12,
    requestBody: '<ICQL/>',
    responseContentType: 'text/xml; charset=utf-8',
  });
});

test('charts: rate, p50/p99 latency and error share per command over the last hour, from PostgreSQL', async () => {
  // 100 SaveTicket_V4 exchanges taking 1..100 ms, ten of them failed; one more two hours ago.
  const rows: Row[] = Array.from({ length: 100 }, (_, i) => ({
    commands: ['SaveTicket_V4'],
    duration_ms: i + 1,
    result_code: i % 10 === 0 ? 35 : 0,
  }));
  await log(
    ...rows,
    {
      commands: ['SaveTicket_V4'],
      duration_ms: 5000,
      result_code: 0,
      at: new Date(Date.now() - 2 * 3600_000).toISOString(),
    },
    { commands: ['GetTicket_V5', 'CloseTicket_V1'], duration_ms: 7, result_code: 4 },
  );
  const { json } = await get(`${gw.url}/console/api/charts`, ADMIN_SESSION);
  const byName = Object.fromEntries(json.commands.map((c: any) => [c.command, c]));
  expect(Object.keys(byName)).toEqual(['CloseTicket_V1', 'GetTicket_V5', 'SaveTicket_V4']);
  const save = byName.SaveTicket_V4;
  expect(save).toMatchObject({ count: 100, p50: 50.5, errorShare: 0.1 });
  expect(save.p99).toBeCloseTo(99.01, 5);
  expect(save.minutes.reduce((n: number, m: { count: number }) => n + m.count, 0)).toBe(100);
  expect(byName.GetTicket_V5).toMatchObject({ count: 1, p50: 7, p99: 7, errorShare: 1 });
  expect(Date.parse(json.until) - Date.parse(json.since)).toBe(3600_000);
});

test('download as fixture: a .tar of the case `npm run log -- export` writes, which the replay tool reads as it is', async () => {
  const req = request('GetHelpdeskSettings', 1, '');
  const response =
    '<ICQL><ACMP><X><Created>' +
    new Date().toISOString().replace(/\.\d+Z/, '.123Z') +
    '</Created><ResultCode>0</ResultCode></X></ACMP></ICQL>';
  const [id] = await log({
    commands: ['GetHelpdeskSettings_V1'],
    request_body: req,
    response_body: response,
  });
  const res = await fetch(`${gw.url}/console/api/exchanges/${id}/fixture`, {
    headers: { 'X-SICS-SESSION': ADMIN_SESSION },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-tar');
  const folder = new RegExp(`^GetHelpdeskSettings_V1/\\d{8}T\\d{6}Z-rc0-xml-${id}$`);
  const name = /filename="(.+)\.tar"/.exec(res.headers.get('content-disposition')!)![1];
  expect(name.replace('-', '/')).toMatch(folder);
  const archive = Buffer.from(await res.arrayBuffer());
  const files = readTar(archive);
  const dir = Object.keys(files)[0].replace(/\/request\.xml$/, '');
  expect(dir).toMatch(folder);
  expect(Object.keys(files)).toEqual([`${dir}/request.xml`, `${dir}/response.xml`]);
  expect(files[`${dir}/request.xml`].toString()).toBe(req.endsWith('\n') ? req : `${req}\n`);
  // A time of the moment becomes a placeholder, as a recording writes it.
  expect(files[`${dir}/response.xml`].toString()).toContain('<Created>{{datetime}}</Created>');

  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'console-fixture-')), 'case.tar');
  writeFileSync(file, archive);
  const [c] = findFixtureCases([file]);
  expect(`${c.command}/${c.name}`).toBe(dir);
  expect(c.steps[0].request).toBe(files[`${dir}/request.xml`].toString());

  // What cannot be a case says why.
  const [health] = await log({ transport: 'http', path: '/health', commands: [] });
  const refused = await get(`${gw.url}/console/api/exchanges/${health}/fixture`, ADMIN_SESSION);
  expect(refused).toEqual({
    status: 409,
    json: {
      error: `Exchange ${health} cannot be a fixture case: not a command exchange (plain HTTP)`,
    },
  });
});

test('tar: what writeTar packs, readTar unpacks; a path leaving the folder is refused', () => {
  const files = {
    'A_V1/case/request.xml': '<ICQL>ä</ICQL>',
    'A_V1/case/response.xml': 'x'.repeat(1500),
  };
  const back = readTar(writeTar(files));
  expect(Object.fromEntries(Object.entries(back).map(([k, v]) => [k, v.toString()]))).toEqual(
    files,
  );
  expect(() => readTar(writeTar({ '../evil.xml': 'x' }))).toThrow(/outside the archive/);
  const broken = writeTar(files);
  broken[0] ^= 1;
  expect(() => readTar(broken)).toThrow(/not a tar archive/);
});
