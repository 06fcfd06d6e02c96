// Dead letters of the SICS bus in the console (docs/protocol.md §8.2, "Delivery"), made for real:
// a message consumed with Manual acknowledgement and never acknowledged, delivered
// ACMP_SICS_MAX_DELIVERIES times (1 here), becomes a dead letter. The console's API lists it for
// administrators only; the page, in a real headless Chromium, shows it as text, sends it back
// after asking, and the bus delivers it again with its deliveries counted anew.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEFAULT_BUS_LIMITS } from '../../src/bus/limits';
import { PROJECT_ROOT } from '../../src/config';
import { bindSession } from '../../src/identity/sessions';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { b64, SicsClient, unb64 } from '../support/sics';

// Functions below run in the page (page.evaluate, waitForFunction): its globals, untyped here
// (the project compiles without the DOM library).
declare const document: any;
declare const window: any;

const ANNA = '10000000-0000-4000-8000-000000000001';
const BEN = '10000000-0000-4000-8000-000000000002';
const ADMIN_SESSION = 'dead-letters-admin-session-000000000';
const HELPDESK_SESSION = 'dead-letters-helpdesk-session-0000000';
const SCREENSHOT = path.join(PROJECT_ROOT, 'test-output/console-dead-letters.png');
/** A print job whose text holds markup: the page must show it as it is, and never run it. */
const JOB = `{"job": "print", "ticket": 4711, "printer": "Floor 3 <img src=x onerror=\\"window.__pwned=1\\"><script>window.__pwned=2</script>", "copies": 2}`;
const MANUAL = { VirtualRouter: 'Jobs', WaitForMessage: false, AckMode: 'Manual', LeaseSeconds: 1 };
const LIMITS = { ...DEFAULT_BUS_LIMITS, maxDeliveries: 1 };

let database: TestDatabase;
let gw: TestGateway;
let ben: SicsClient;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  browser = await launchChromium();
  database = await createTestDatabase();
  await database.reset();
  gw = await startTestGateway('required', { database, busLimits: LIMITS });
  await bindSession(gw.db, ADMIN_SESSION, ANNA);
  await bindSession(gw.db, HELPDESK_SESSION, BEN);
  // A helpdesk user's worker: its own router and queue of print jobs.
  ben = await new SicsClient(gw.url).login('Ben Support', 'ben-demo-password');
  expect((await ben.call('POST', '/VirtualRouter', { VirtualRouterName: 'Jobs' })).status).toBe(
    201,
  );
  const target = await ben.call('POST', '/Target', {
    TargetName: 'printing',
    VirtualRouter: 'Jobs',
    RoutingKeys: ['print'],
  });
  expect(target.status).toBe(201);
  page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  await database?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Publishes `body` (Base64 as given) to Jobs/print and lets it die as a worker would: consumed
 * once in Manual mode and never acknowledged; after its lease, the next Consume makes it a dead
 * letter (ACMP_SICS_MAX_DELIVERIES = 1) and gets nothing. Returns its MessageId.
 */
async function deadLetter(body: string): Promise<string> {
  const published = await ben.call('POST', '/Publish', {
    Body: body,
    VirtualRouter: 'Jobs',
    Routing_Key: 'print',
  });
  expect(published.status).toBe(202);
  const first = await ben.consume('printing', MANUAL);
  expect(first.json.Messages).toEqual([
    expect.objectContaining({ MessageId: published.json.MessageId, DeliveryCount: 1 }),
  ]);
  await sleep(1100);
  expect((await ben.consume('printing', MANUAL)).json.Messages).toEqual([]);
  return published.json.MessageId;
}

async function api(
  method: string,
  url: string,
  session?: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(session ? { 'X-SICS-SESSION': session } : {}),
      ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: method === 'POST' ? '{}' : undefined,
  });
  return { status: res.status, json: await res.json() };
}

const list = (session = ADMIN_SESSION) => api('GET', `${gw.url}/console/api/dead-letters`, session);
const resend = (id: string, session = ADMIN_SESSION, headers?: Record<string, string>) =>
  api('POST', `${gw.url}/console/api/dead-letters/${id}/resend`, session, headers);
const deadInDb = async () =>
  (await gw.db('bus_messages').whereNotNull('dead_at').select('id')).map((r) => String(r.id));

async function logIn(user: string, password: string): Promise<void> {
  await page.goto(`${gw.url}/console`);
  await page.locator('#login').waitFor();
  await page.fill('#login input[name=user]', user);
  await page.fill('#login input[name=password]', password);
  await page.click('#login button[type=submit]');
  await page.locator('#app').waitFor();
}

/** The dead letters the page lists: every cell's text but the button's. */
async function shown(): Promise<string[][]> {
  return page.$$eval('#dead-letters tbody tr', (trs) =>
    trs.map((tr) => [...tr.children].slice(0, 8).map((td: any) => td.textContent)),
  );
}

let messageId: string;

test('a message never acknowledged becomes a dead letter; the API lists it to administrators only', async () => {
  messageId = await deadLetter(b64(JOB));
  expect(await deadInDb()).toHaveLength(1);

  const listed = await list();
  expect(listed.status).toBe(200);
  expect(listed.json.deadLetters).toEqual([
    {
      id: expect.stringMatching(/^\d+$/),
      messageId,
      user: 'Ben Support',
      router: 'Jobs',
      target: 'printing',
      routingKey: 'print',
      deliveryCount: 1,
      publishedAt: expect.any(String),
      deadAt: expect.any(String),
      excerpt: JOB,
    },
  ]);
  const { id } = listed.json.deadLetters[0];

  // A helpdesk user may neither read nor send back; nobody may without a session.
  const helpdesk = await list(HELPDESK_SESSION);
  expect(helpdesk.status).toBe(403);
  expect(helpdesk.json.error).toMatch(
    /needs the permission ADMIN, which user Ben Support does not have/,
  );
  expect((await resend(id, HELPDESK_SESSION)).status).toBe(403);
  expect((await list('')).status).toBe(401);
  expect((await resend(id, '')).status).toBe(401);
  // Not from a form or a script of another site, even for an administrator.
  expect((await resend(id, ADMIN_SESSION, { 'Content-Type': 'text/plain' })).status).toBe(415);
  const crossSite = await resend(id, ADMIN_SESSION, { 'Sec-Fetch-Site': 'cross-site' });
  expect(crossSite.status).toBe(403);
  expect(crossSite.json.error).toMatch(/console's own page only/);
  expect(await deadInDb()).toEqual([id]);
});

test('open mode needs no session, so a change must come from the page: a form post of another site is refused', async () => {
  const open = await startTestGateway('open', { database, busLimits: LIMITS });
  try {
    const [id] = await deadInDb();
    const form = await fetch(`${open.url}/console/api/dead-letters/${id}/resend`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1',
    });
    expect(form.status).toBe(415);
    const other = await fetch(`${open.url}/console/api/dead-letters/${id}/resend`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'same-site' },
      body: '{}',
    });
    expect(other.status).toBe(403);
    const listed = await fetch(`${open.url}/console/api/dead-letters`);
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as any).deadLetters).toHaveLength(1);
    expect(await deadInDb()).toEqual([id]);
  } finally {
    await open.stop();
  }
});

test('the page lists it in a section closed by default, above the exchanges; the body is text, never markup', async () => {
  await logIn('Anna Admin', 'anna-demo-password');
  await page.locator('#dead-count', { hasText: '(1)' }).waitFor();
  // Closed: one line, the exchanges right under it.
  expect(await page.getAttribute('#dead', 'open')).toBeNull();
  expect(await page.isVisible('#dead-letters')).toBe(false);
  const summary = await page.locator('#dead-section').boundingBox();
  expect(summary!.height).toBeLessThan(60);

  await page.click('#dead summary');
  await page.locator('#dead-letters tbody tr').waitFor();
  const rows = await shown();
  expect(rows).toHaveLength(1);
  const [user, router, target, key, deliveries, published, died, excerpt] = rows[0];
  expect([user, router, target, key, deliveries]).toEqual([
    'Ben Support',
    'Jobs',
    'printing',
    'print',
    '1',
  ]);
  expect(published).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  expect(died).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  expect(excerpt).toBe(JOB);
  expect(await page.isVisible('#dead-empty')).toBe(false);
  expect(await page.locator('#dead-section img, #dead-section script').count()).toBe(0);
  expect(await page.evaluate(() => window.__pwned)).toBeUndefined();

  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });
});

test('"Send back" asks first: cancelled, nothing changes; confirmed, the list empties and the bus delivers the message again, DeliveryCount 1', async () => {
  const [id] = await deadInDb();
  const asked = new Promise<string>((resolve) =>
    page.once('dialog', (d) => {
      resolve(d.message());
      void d.dismiss();
    }),
  );
  await page.click('#dead-letters tbody tr button.send-back');
  expect(await asked).toMatch(
    /^Send this message back to queue "printing" \(router "Jobs", user Ben Support\)\?/,
  );
  await sleep(300); // had it gone on, its POST would have reached the gateway by now
  expect(await deadInDb()).toEqual([id]);
  expect(await page.isEnabled('#dead-letters tbody tr button.send-back')).toBe(true);
  expect(await shown()).toHaveLength(1);

  page.once('dialog', (d) => void d.accept());
  await page.click('#dead-letters tbody tr button.send-back');
  await page.locator('#dead-empty', { hasText: 'There are no dead letters.' }).waitFor();
  expect(await page.locator('#dead-letters tbody tr').count()).toBe(0);
  expect(await page.isVisible('#dead-letters')).toBe(false);
  expect(await page.textContent('#dead-count')).toBe('(none)');
  expect(await page.textContent('#dead-note')).toMatch(`Dead letter ${id} is back in its queue`);
  expect(await deadInDb()).toEqual([]);

  // The worker gets it again, first delivery of its new round, and this time acknowledges it.
  const again = await ben.consume('printing', MANUAL);
  expect(again.json.Messages).toEqual([
    expect.objectContaining({ MessageId: messageId, DeliveryCount: 1 }),
  ]);
  expect(unb64(again.json.Messages[0].Body)).toBe(JOB);
  const ack = await ben.call('POST', '/Ack', {
    VirtualRouter: 'Jobs',
    TargetName: 'printing',
    LeaseIds: [again.json.Messages[0].LeaseId],
  });
  expect(ack.json.Acked).toBe(1);

  // Gone: sending it back again is a 404 that says why.
  const gone = await resend(id);
  expect(gone.status).toBe(404);
  expect(gone.json.error).toMatch(`There is no dead letter ${id}`);
  expect((await resend('not-a-number')).status).toBe(404);
});

test('a dead letter another administrator sent back meanwhile: the page says so and shows what is left', async () => {
  await deadLetter(b64('job one'));
  await deadLetter(b64('job two'));
  await page.reload();
  await page.locator('#dead-count', { hasText: '(2)' }).waitFor();
  await page.click('#dead summary');
  // Newest first.
  expect((await shown()).map((r) => r[7])).toEqual(['job two', 'job one']);
  const first = await page.getAttribute('#dead-letters tbody tr:first-child', 'data-id');
  expect((await resend(first!)).status).toBe(200);

  page.once('dialog', (d) => void d.accept());
  await page.click('#dead-letters tbody tr:first-child button.send-back');
  await page.locator('#message', { hasText: `There is no dead letter ${first}` }).waitFor();
  await page.waitForFunction(
    () => document.querySelectorAll('#dead-letters tbody tr').length === 1,
  );
  expect((await shown()).map((r) => r[7])).toEqual(['job one']);
  expect(await page.textContent('#dead-count')).toBe('(1)');
});

test('every body Publish accepts is listed: no padding, line breaks, a character cut at the end of the excerpt, bytes that are not UTF-8', async () => {
  await gw.db('bus_messages').delete();
  const text = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  await deadLetter(text('no padding here').replace(/=+$/, ''));
  await deadLetter(text('y'.repeat(400)).replace(/(.{76})/g, '$1\r\n'));
  await deadLetter(text(`${'x'.repeat(299)}ü and more`)); // the ü's two bytes straddle byte 300
  await deadLetter(
    Buffer.concat([
      Buffer.from('binary '),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' data'),
    ]).toString('base64'),
  );
  const listed = await list();
  expect(listed.status).toBe(200);
  const excerpts = listed.json.deadLetters.map((d: { excerpt: string }) => d.excerpt).reverse();
  expect(excerpts).toHaveLength(4);
  expect(excerpts[0]).toBe('no padding here');
  expect(excerpts[1]).toMatch(/^y{290,300}$/);
  expect(excerpts[2]).toMatch(/^x{299}\uFFFD?$/);
  expect(excerpts[3]).toMatch(/^binary \uFFFD+ data$/);

  await page.reload();
  await page.locator('#dead-count', { hasText: '(4)' }).waitFor();
  await page.click('#dead summary');
  expect((await shown()).map((r) => r[7]).reverse()).toEqual(excerpts);
});
