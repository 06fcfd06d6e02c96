// The console page in a real headless Chromium (Debian's `chromium`, driven by playwright-core),
// against a gateway in required mode whose exchanges go to the communication log: a helpdesk
// user is refused, an administrator logs in through the page, the test's commands appear in the
// live tail, the ResultCode filter narrows the list, one exchange is opened and replayed, its
// fixture is downloaded and passes `npm run replay`, and a hostile body stays text.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { PROJECT_ROOT } from '../../src/config';
import { passwordHashOf } from '../../src/identity/passwords';
import { bindSession } from '../../src/identity/sessions';
import { CommunicationLog } from '../../src/observability/communication-log';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

// Functions below run in the page (page.evaluate, waitForFunction): its globals, untyped here
// (the project compiles without the DOM library).
declare const document: any;
declare const sessionStorage: any;
declare const window: any;
type HTMLElement = any;

const BEN = '10000000-0000-4000-8000-000000000002';
const SENDER = 'console-test-ben-session-000000000000';
const TICKET = '{C0A50000-0000-4000-8000-000000000001}';
const HOSTILE_TICKET = '{C0A50000-0000-4000-8000-000000000002}';
const MISSING = '{C0A50000-0000-4000-8000-0000000000FF}';
const HOSTILE = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
const SCREENSHOTS = [path.join(PROJECT_ROOT, 'test-output/console.png')];
// CONSOLE_SCREENSHOT_DOCS=1 also refreshes the picture in docs/operations.md (docs/console.png).
if (process.env.CONSOLE_SCREENSHOT_DOCS)
  SCREENSHOTS.push(path.join(PROJECT_ROOT, 'docs/console.png'));

let database: TestDatabase;
let commlog: CommunicationLog;
let gw: TestGateway;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  database = await createTestDatabase();
  await database.reset();
  commlog = new CommunicationLog(database.db, {
    retentionDays: 7,
    maxBytes: 512 * 1024 * 1024,
    maxBodyBytes: 65_536,
    retentionIntervalMs: 0,
  });
  gw = await startTestGateway('required', { database, exchangeListeners: [commlog.listener] });
  await bindSession(gw.db, SENDER, BEN);
  page = await (
    await browser.newContext({ acceptDownloads: true, viewport: { width: 1400, height: 1000 } })
  ).newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await commlog?.close();
  await database?.close();
});

/** What a client of the gateway sends: ICQL to /acmp as Ben Support, with the given body. */
async function send(xml: string): Promise<number> {
  const res = await gw.post(xml, {
    'Content-Type': 'text/xml; charset=utf-8',
    'X-SICS-SESSION': SENDER,
  });
  return res.resultCode;
}

const saveTicket = (id: string, title: string) =>
  request(
    'SaveTicket',
    4,
    `        <Ticket xsi:type="TTicket_V4">\n          <Id>${id}</Id>\n          <Title>${title}</Title>\n        </Ticket>`,
  );
// On one line, as many clients send it: the page indents it.
const getTicket = (id: string) =>
  `<ICQL><ACMP><GetTicket version="5"><TGetTicketRequest_V5><TicketId>${id}</TicketId></TGetTicketRequest_V5></GetTicket></ACMP></ICQL>`;

/** The rows the page shows: their ids, command cells and ResultCodes. */
async function rows(): Promise<{ id: number; command: string; result: string; user: string }[]> {
  return page.$$eval('#exchanges tbody tr', (trs) =>
    trs.map((tr) => ({
      id: Number((tr as HTMLElement).dataset.id),
      command: tr.children[3].textContent!,
      result: tr.children[4].textContent!,
      user: tr.children[7].textContent!,
    })),
  );
}

async function logIn(user: string, password: string): Promise<void> {
  await page.goto(`${gw.url}/console`);
  await page.locator('#login').waitFor();
  await page.fill('#login input[name=user]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
}

test('a user without ADMIN logs in through the page and is refused, with the reason', async () => {
  await logIn('Ben Support', 'ben-demo-password');
  await page
    .locator('#message', {
      hasText: 'needs the permission ADMIN, which user Ben Support does not have',
    })
    .waitFor();
  expect(await page.isVisible('#app')).toBe(false);
  expect(await page.isVisible('#login')).toBe(true);
  expect(await page.evaluate(() => sessionStorage.getItem('acmp-console-session'))).toBeNull();
});

test('a wrong password is refused by LoginAcmpUser_V1 and the page says so', async () => {
  await logIn('Anna Admin', 'not-the-password');
  await page.locator('#message', { hasText: 'Login refused' }).waitFor();
  expect(await page.isVisible('#app')).toBe(false);
});

test('an administrator logs in (PasswordHash computed in the page); commands sent appear in the live tail', async () => {
  await logIn('Anna Admin', 'anna-demo-password');
  await page.locator('#app').waitFor();
  expect(await page.textContent('#who')).toBe('logged in as Anna Admin');
  // The session is the page's own, kept in sessionStorage.
  expect(await page.evaluate(() => sessionStorage.getItem('acmp-console-session'))).toMatch(
    /^[0-9a-f]{64}$/,
  );

  expect(await send(saveTicket(TICKET, 'Printer on floor 3'))).toBe(0);
  expect(await send(getTicket(MISSING))).toBe(30);
  expect(await send(getTicket(TICKET))).toBe(0);
  // A hostile title, sent as JSON so the logged body holds the markup as it is.
  const json = await fetch(`${gw.url}/api/v1/commands/SaveTicket_V4`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': SENDER },
    body: JSON.stringify({ Ticket: { Id: HOSTILE_TICKET, Title: HOSTILE } }),
  });
  expect(((await json.json()) as { ResultCode: number }).ResultCode).toBe(0);

  // The tail shows them (the writer stores rows about 200 ms after their exchange), newest first.
  await page.waitForFunction(
    () => document.querySelectorAll('#exchanges tbody tr[data-transport="json"]').length >= 4,
    undefined,
    { timeout: 10_000 },
  );
  const shown = await rows();
  expect(shown.slice(0, 4).map((r) => [r.command, r.result, r.user])).toEqual([
    ['SaveTicket_V4', '0', 'Ben Support'],
    ['GetTicket_V5', '0', 'Ben Support'],
    ['GetTicket_V5', '30', 'Ben Support'],
    ['SaveTicket_V4', '0', 'Ben Support'],
  ]);
  // Before them the page's own logins (two refused, Anna's accepted); the console's API calls are not listed.
  expect(shown.slice(4).map((r) => [r.command, r.result])).toEqual([
    ['LoginAcmpUser_V1', '0'],
    ['LoginAcmpUser_V1', '15'],
    ['LoginAcmpUser_V1', '0'],
  ]);
});

test('filtering by ResultCode narrows the list, and the tail keeps the filter', async () => {
  await page.fill('#filters input[name=result]', '30');
  await page.click('#filters button[type=submit]');
  // Non-empty: the list is emptied first, then filled with what the filter lets through.
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('#exchanges tbody tr')];
    return trs.length > 0 && trs.every((tr) => (tr as HTMLElement).dataset.result === '30');
  });
  expect((await rows()).map((r) => r.command)).toEqual(['GetTicket_V5']);

  expect(await send(getTicket(TICKET))).toBe(0); // not a 30: stays out of the filtered tail
  expect(await send(getTicket(MISSING))).toBe(30);
  await page.waitForFunction(
    () => document.querySelectorAll('#exchanges tbody tr').length === 2,
    undefined,
    { timeout: 10_000 },
  );
  expect((await rows()).map((r) => r.result)).toEqual(['30', '30']);

  await page.click('#filters button[type=reset]');
  await page.waitForFunction(() => document.querySelectorAll('#exchanges tbody tr').length >= 6);
});

test('one exchange opens with its request and response indented side by side; "replay" sends it again and shows the new answer', async () => {
  const target = (await rows()).find((r) => r.command === 'GetTicket_V5' && r.result === '0')!;
  await page.click(`#exchanges tbody tr[data-id="${target.id}"]`);
  await page.locator('#detail-title', { hasText: `#${target.id} GetTicket_V5` }).waitFor();
  const requestText = (await page.textContent('#request-body'))!;
  // One element per line, indented by depth.
  expect(requestText).toBe(
    `<ICQL>\n  <ACMP>\n    <GetTicket version="5">\n      <TGetTicketRequest_V5>\n        <TicketId>${TICKET}</TicketId>\n      </TGetTicketRequest_V5>\n    </GetTicket>\n  </ACMP>\n</ICQL>`,
  );
  const responseText = (await page.textContent('#response-body'))!;
  expect(responseText).toMatch(/\n\s+<Title>Printer on floor 3<\/Title>\n/);
  expect(responseText).toMatch(/\n\s+<ResultCode>0<\/ResultCode>\n/);

  const before = (await rows()).length;
  await page.click('#replay');
  await page.locator('#replayed-title', { hasText: 'Replayed: HTTP 200, ResultCode 0' }).waitFor();
  expect(await page.textContent('#replayed-title')).toContain('(same answer)');
  expect(await page.textContent('#replayed-body')).toBe(responseText);
  // The replay went through the gateway as the console's user: the log shows it.
  await page.waitForFunction(
    (n) => document.querySelectorAll('#exchanges tbody tr').length > n,
    before,
    { timeout: 10_000 },
  );
  expect((await rows())[0]).toMatchObject({
    command: 'GetTicket_V5',
    result: '0',
    user: 'Anna Admin',
  });
});

test('"download as fixture" gives a file that `npm run replay` takes as it is, and it passes', async () => {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#fixture')]);
  expect(download.suggestedFilename()).toMatch(/^GetTicket_V5-\d{8}T\d{6}Z-rc0-xml-\d+\.tar$/);
  const file = path.join(
    mkdtempSync(path.join(os.tmpdir(), 'console-download-')),
    download.suggestedFilename(),
  );
  await download.saveAs(file);

  const run = await new Promise<{ code: number; out: string }>((resolve) =>
    execFile(
      'npm',
      ['run', '--silent', 'replay', '--', '--url', `${gw.url}/acmp`, '--user', 'Anna Admin', file],
      {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ACMP_PASSWORD: 'anna-demo-password', CI: 'true' },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
  expect(run.out).toMatch(/PASS\s+GetTicket_V5\/\d{8}T\d{6}Z-rc0-xml-\d+/);
  expect(run.code).toBe(0);
}, 90_000);

test('a hostile body is shown as text and never runs', async () => {
  const id = await page.$$eval('#exchanges tbody tr', (trs) => {
    const row = trs.find((tr) => tr.children[2].textContent === 'json');
    return row ? Number((row as HTMLElement).dataset.id) : undefined;
  });
  expect(id).toBeDefined();
  await page.click(`#exchanges tbody tr[data-id="${id}"]`);
  await page.locator('#detail-title', { hasText: `#${id} SaveTicket_V4` }).waitFor();
  expect(await page.textContent('#request-body')).toContain(`"Title": ${JSON.stringify(HOSTILE)}`);
  expect(await page.locator('#detail img, #detail script').count()).toBe(0);
  expect(
    await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned),
  ).toBeUndefined();
});

test('charts: rate, latency p50/p99 and error share per command over the last hour', async () => {
  // The replay tool's GetTicket_V5 is written about 200 ms after it ran: wait for it, then load the page afresh.
  const logged = async () =>
    Number(
      (
        await gw.db.raw(
          `select count(*) from communication_log where 'GetTicket_V5' = any(commands)`,
        )
      ).rows[0].count,
    );
  for (let i = 0; i < 50 && (await logged()) < 6; i++) await new Promise((r) => setTimeout(r, 100));
  // A busy hour of another command, as the writer would have stored it: one minute in three has
  // exchanges, every tenth of them failed.
  const history = Array.from({ length: 20 }, (_, k) => k * 3 + 1).flatMap((ago) =>
    Array.from({ length: 2 + (ago % 7) }, (_, i) => ({
      at: new Date(Date.now() - ago * 60_000 - i * 1000),
      request_id: `history-${ago}-${i}`,
      transport: 'xml',
      method: 'POST',
      path: '/acmp',
      remote_address: '10.0.0.7',
      user_id: null,
      user_name: 'Ben Support',
      commands: ['GetTicketList_V1'],
      result_code: (ago + i) % 10 === 0 ? 19 : 0,
      http_status: 200,
      duration_ms: 5 + ((ago * 7 + i * 13) % 40),
      request_content_type: 'text/xml',
      response_content_type: 'text/xml',
      request_body: '<ICQL/>',
      response_body: '<ICQL/>',
    })),
  );
  await gw.db('communication_log').insert(history);
  const minutes = Number(
    (
      await gw.db.raw(
        `select count(distinct date_trunc('minute', at)) from communication_log where 'GetTicketList_V1' = any(commands)`,
      )
    ).rows[0].count,
  );

  await page.evaluate(() => document.getElementById('charts')!.replaceChildren());
  await page.reload();
  await page.locator('.chart[data-command="GetTicket_V5"]').waitFor();
  const card = page.locator('.chart[data-command="GetTicket_V5"]');
  expect(await card.locator('svg').count()).toBe(3);
  expect(await card.locator('svg[aria-label="latency p50 / p99"] polyline').count()).toBe(2);
  // 6 GetTicket_V5 so far (one of them the replay), 2 of them answered 30.
  expect(await card.locator('p').textContent()).toMatch(
    /^6 requests · p50 [\d.]+ ms · p99 [\d.]+ ms · errors 33 %$/,
  );
  expect(await card.locator('svg[aria-label="error share"] rect').count()).toBeGreaterThan(0);

  // The hour drawn minute by minute: one bar per minute with exchanges, left (old) to right (new).
  const busy = page.locator('.chart[data-command="GetTicketList_V1"]');
  expect(await busy.locator('p').textContent()).toMatch(
    new RegExp(`^${history.length} requests · `),
  );
  const bars = await busy
    .locator('svg[aria-label="rate per minute"] rect')
    .evaluateAll((rs) => rs.map((r) => Number(r.getAttribute('x'))));
  expect(bars).toHaveLength(minutes);
  expect(bars[0]).toBeLessThan(10);
  expect(bars[bars.length - 1]).toBeGreaterThan(200);
  expect(await busy.locator('svg[aria-label="error share"] rect').count()).toBe(minutes);

  // The picture: a replayed exchange next to its logged answer.
  mkdirSync(path.join(PROJECT_ROOT, 'test-output'), { recursive: true });
  await page.fill('#filters input[name=command]', 'GetTicket_V5');
  await page.click('#filters button[type=submit]');
  await page.waitForFunction(() => {
    const trs = [...document.querySelectorAll('#exchanges tbody tr')];
    return trs.length > 0 && trs.every((tr: any) => tr.children[3].textContent === 'GetTicket_V5');
  });
  await page.click('#exchanges tbody tr[data-result="0"]');
  await page.locator('#detail-title', { hasText: 'GetTicket_V5' }).waitFor();
  await page.click('#replay');
  await page.locator('#replayed').waitFor();
  for (const file of SCREENSHOTS) await page.screenshot({ path: file, fullPage: true });
});

test('the page hashes passwords without crypto.subtle too (plain http beyond localhost): SHA-256 like Node', async () => {
  for (const text of [
    'anna-demo-password',
    '',
    'ä€𝄞 umlauts and more',
    'x'.repeat(55),
    'y'.repeat(64),
    'z'.repeat(1000),
  ]) {
    const hash = await page.evaluate(
      (t) =>
        (window as unknown as { consoleSha256(b: Uint8Array): string }).consoleSha256(
          new TextEncoder().encode(t),
        ),
      text,
    );
    expect(hash).toBe(passwordHashOf(text));
  }
});

test('open mode: the page needs no login and shows the log at once', async () => {
  const open = await startTestGateway('open', { database });
  try {
    const fresh = await browser.newPage();
    await fresh.goto(`${open.url}/console`);
    await fresh.waitForFunction(() => document.querySelectorAll('#exchanges tbody tr').length > 0);
    expect(await fresh.isVisible('#login')).toBe(false);
    expect(await fresh.textContent('#who')).toBe('open mode (no login)');

    // A busy gateway: the tail brings 1100 new rows, the list keeps the newest 1000.
    await database.db.raw(
      `insert into communication_log (at, request_id, transport, method, path, remote_address, commands, result_code, http_status, duration_ms, request_body, response_body)
       select now(), 'burst-' || n, 'xml', 'POST', '/acmp', '127.0.0.1', '{GetHelpdeskSettings_V1}', 0, 200, 1, '<ICQL/>', '<ICQL/>' from generate_series(1, 1100) n`,
    );
    const newest = Number(
      (await database.db.raw('select max(id) as id from communication_log')).rows[0].id,
    );
    await fresh.waitForFunction(
      (id) => document.querySelector('#exchanges tbody tr')?.dataset.id === String(id),
      newest,
      { timeout: 15_000 },
    );
    expect(await fresh.locator('#exchanges tbody tr').count()).toBe(1000);
    expect(await fresh.isVisible('#older')).toBe(true);
    await fresh.close();
  } finally {
    await open.stop();
  }
});
