// Several commands in one transaction (docs/protocol.md §8.5), as an ICQL document and as a JSON batch: all
// or none, the failing command named, TICKET_BATCH needed, at most 100 commands.
import { bindSession } from '../../src/identity/sessions';
import { startTestGateway, type TestGateway } from '../support/gateway';

const ANNA = '10000000-0000-4000-8000-000000000001'; // Administrator: holds TICKET_BATCH
const BEN = '10000000-0000-4000-8000-000000000002'; // Helpdesk: every permission a ticket needs, not TICKET_BATCH
const ANNA_SESSION = 'anna-batch-session-0000000000000000000';
const BEN_SESSION = 'ben-batch-session-00000000000000000000';
const RESOLUTION = '40000000-0000-4000-8000-000000000001';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('required');
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
  await bindSession(gw.db, ANNA_SESSION, ANNA);
  await bindSession(gw.db, BEN_SESSION, BEN);
});

const guid = (n: number) => `59387FFD-B171-47C5-B735-${String(n).padStart(12, '0')}`;
const command = (name: string, version: number, payload: string) =>
  `    <${name} ActionType="Request" version="${version}"><T${name}Request_V${version}>${payload}</T${name}Request_V${version}></${name}>`;
const document = (...commands: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <ACMP>\n${commands.join('\n')}\n  </ACMP>\n</ICQL>`;
const save = (id: string, title = 'Printer jam') =>
  command(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>{${id}}</Id><Title>${title}</Title></Ticket>`,
  );
const close = (id: string) =>
  command(
    'CloseTicket',
    1,
    `<TicketId>{${id}}</TicketId><Assignee xsi:type="TAssignee_V1"><Id>{${ANNA}}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee><ResolutionId>{${RESOLUTION}}</ResolutionId>`,
  );
const xmlHeaders = (session: string) => ({
  'Content-Type': 'text/xml; charset=utf-8',
  'X-SICS-SESSION': session,
});
const results = (xml: string) =>
  [
    ...xml.matchAll(/<ResultCode>(-?\d+)<\/ResultCode>\s*<ResultMessage>([^<]*)<\/ResultMessage>/g),
  ].map((m) => [Number(m[1]), m[2]]);
const ticket = (id: string) => gw.db('tickets').where({ id }).first('title', 'state');

describe('an ICQL document with several commands', () => {
  test('SaveTicket_V4 then CloseTicket_V1 both happen, answered in order in one document', async () => {
    const res = await gw.post(document(save(guid(1)), close(guid(1))), xmlHeaders(ANNA_SESSION));
    expect(results(res.body)).toEqual([
      [0, 'OK'],
      [0, 'OK'],
    ]);
    expect(res.body).toMatch(
      /<SaveTicket ActionType="Response" version="4"[\s\S]*<\/SaveTicket>\s*<CloseTicket ActionType="Response" version="1"/,
    );
    expect(res.resultCode).toBe(0);
    expect(await ticket(guid(1))).toEqual({ title: 'Printer jam', state: 'Closed' });
  });

  test('a failing second command rolls back the first: nothing is stored, the answer names the failure', async () => {
    const missing = guid(99);
    const res = await gw.post(
      document(save(guid(1)), close(missing), save(guid(2))),
      xmlHeaders(ANNA_SESSION),
    );
    const [first, second, third] = results(res.body);
    expect(first).toEqual([35, 'rolled back: CloseTicket_V1 #2 failed']);
    expect(second[0]).toBe(30);
    expect(second[1]).toContain(missing);
    expect(third).toEqual([35, 'not run']);
    expect(res.resultCode).toBe(30);
    expect(await ticket(guid(1))).toBeUndefined();
    expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
  });

  test('a command that fails validation stops the batch before anything runs', async () => {
    const res = await gw.post(document(save(guid(1)), save(guid(2), '')), xmlHeaders(ANNA_SESSION));
    const [first, second] = results(res.body);
    expect(first).toEqual([35, 'rolled back: SaveTicket_V4 #2 failed']);
    expect(second[0]).toBe(35);
    expect(await ticket(guid(1))).toBeUndefined();
  });

  test('creating and then updating the same ticket in one batch sees its own earlier write', async () => {
    const res = await gw.post(
      document(save(guid(1), 'first'), save(guid(1), 'second')),
      xmlHeaders(ANNA_SESSION),
    );
    expect(results(res.body)).toEqual([
      [0, 'OK'],
      [0, 'OK'],
    ]);
    expect(await ticket(guid(1))).toEqual({ title: 'second', state: 'New' });
  });

  test('without TICKET_BATCH every command is refused with 35 and nothing runs; one command alone needs no TICKET_BATCH', async () => {
    const res = await gw.post(document(save(guid(1)), close(guid(1))), xmlHeaders(BEN_SESSION));
    const answers = results(res.body);
    expect(answers).toHaveLength(2);
    for (const [code, message] of answers) {
      expect(code).toBe(35);
      expect(message).toContain('TICKET_BATCH');
    }
    expect(await ticket(guid(1))).toBeUndefined();
    expect(results((await gw.post(document(save(guid(1))), xmlHeaders(BEN_SESSION))).body)).toEqual(
      [[0, 'OK']],
    );
  });

  test('without a session every command answers 7', async () => {
    const res = await gw.post(document(save(guid(1)), close(guid(1))));
    expect(results(res.body).map(([code]) => code)).toEqual([7, 7]);
  });

  test('100 commands run; 101 are refused and nothing runs', async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => save(guid(i + 1)));
    const ok = await gw.post(document(...hundred), xmlHeaders(ANNA_SESSION));
    expect(results(ok.body).filter(([code]) => code === 0)).toHaveLength(100);
    await gw.reset();
    await bindSession(gw.db, ANNA_SESSION, ANNA);
    const tooMany = await gw.post(document(...hundred, save(guid(101))), xmlHeaders(ANNA_SESSION));
    expect(results(tooMany.body)).toEqual([[35, expect.stringContaining('at most 100')]]);
    expect(tooMany.body).toContain('<Error ActionType="Response"');
    expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});

describe('a JSON batch (POST /api/v1/batch)', () => {
  const post = (body: unknown, session = ANNA_SESSION) =>
    fetch(`${gw.url}/api/v1/batch`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
    });
  const saveJson = (id: string, title = 'Printer jam') => ({
    SaveTicket_V4: { Ticket: { Id: `{${id}}`, Title: title } },
  });
  const closeJson = (id: string) => ({
    CloseTicket_V1: {
      TicketId: `{${id}}`,
      Assignee: { Id: `{${ANNA}}`, AssigneeIsGroup: false },
      ResolutionId: `{${RESOLUTION}}`,
    },
  });

  test('SaveTicket_V4 then CloseTicket_V1 both happen; the answer is one object per command, in order', async () => {
    const res = await post([saveJson(guid(1)), closeJson(guid(1))]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, { ResultCode: number; TicketId?: string }>[];
    expect(body.map((item) => Object.keys(item)[0])).toEqual(['SaveTicket_V4', 'CloseTicket_V1']);
    expect(body[0].SaveTicket_V4).toMatchObject({ ResultCode: 0, TicketId: `{${guid(1)}}` });
    expect(await ticket(guid(1))).toEqual({ title: 'Printer jam', state: 'Closed' });
  });

  test('a failing second command rolls back the first', async () => {
    const res = await post([saveJson(guid(1)), closeJson(guid(99))]);
    const body = (await res.json()) as Record<
      string,
      { ResultCode: number; ResultMessage: string }
    >[];
    expect(body[0].SaveTicket_V4).toEqual({
      ResultCode: 35,
      ResultMessage: 'rolled back: CloseTicket_V1 #2 failed',
    });
    expect(body[1].CloseTicket_V1.ResultCode).toBe(30);
    expect(res.headers.get('x-acmp-result-code')).toBe('30');
    expect(await ticket(guid(1))).toBeUndefined();
  });

  test('TICKET_BATCH is needed for several commands', async () => {
    const body = (await (
      await post([saveJson(guid(1)), saveJson(guid(2))], BEN_SESSION)
    ).json()) as Record<string, { ResultCode: number; ResultMessage: string }>[];
    expect(body.map((item) => Object.values(item)[0].ResultCode)).toEqual([35, 35]);
    expect(body[0].SaveTicket_V4.ResultMessage).toContain('TICKET_BATCH');
    expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
  });

  test('malformed batches are refused with 400 and a message, nothing run; 101 commands are too many', async () => {
    const refused = async (body: unknown, text: string) => {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { ResultMessage: string }).ResultMessage).toContain(text);
    };
    await refused({ SaveTicket_V4: {} }, 'JSON array');
    await refused([], 'empty');
    await refused([{ SaveTicket_V4: {}, CloseTicket_V1: {} }], 'exactly one key');
    await refused([{ 'not a command': {} }], 'not a command version');
    await refused(
      Array.from({ length: 101 }, (_, i) => saveJson(guid(i + 1))),
      'at most 100',
    );
    expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
  });
});
