// The JSON transport (docs/protocol.md §8.4): the same commands, schemas, permissions and ResultCodes as ICQL,
// with JSON types that follow the schema; framing errors get JSON answers; Accept negotiation on /acmp.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bindSession } from '../../src/identity/sessions';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const BEN = '10000000-0000-4000-8000-000000000002';
const DORA_SESSION = 'dora-json-session-0000000000000000000';
const TICKET = '{59387FFD-B171-47C5-B735-041FA132CA39}';
const RESOLUTION = '{40000000-0000-4000-8000-000000000001}';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(() => gw.reset());

type Answer = Record<string, any>;
async function call(
  key: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | null; json: Answer }> {
  const res = await fetch(`${gw.url}/api/v1/commands/${key}`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'Content-Type': 'application/json', ...headers },
  });
  return {
    status: res.status,
    code: res.headers.get('x-acmp-result-code'),
    json: (await res.json()) as Answer,
  };
}

test('the automation flow over JSON: save, close with a working time and costs, read back with JSON types', async () => {
  const saved = await call('SaveTicket_V4', {
    Ticket: { Id: TICKET, Title: 'Printer jam', Priority: 2 },
  });
  expect(saved).toMatchObject({
    status: 200,
    code: '0',
    json: { TicketId: TICKET, ResultCode: 0, ResultMessage: 'OK' },
  });
  const costs = await call('SaveTicketCosts_V1', {
    Costs: [
      {
        Id: '{B4000000-0000-4000-8000-000000000001}',
        TicketId: TICKET,
        UnitPrice: '12.50',
        Amount: 2,
        Description: 'Toner',
      },
    ],
  });
  expect(costs.json).toMatchObject({ ResultCode: 0, FirstErrorMsg: '' });
  const closed = await call('CloseTicket_V1', {
    TicketId: TICKET,
    Assignee: { Id: `{${BEN}}`, AssigneeIsGroup: false },
    ResolutionId: RESOLUTION,
    WorkingTime: {
      Id: '{E1000000-0000-4000-8000-000000000001}',
      TicketId: TICKET,
      Executor: `{${BEN}}`,
      StartDate: '2025-06-28T08:00:00.000Z',
      EndDate: '2025-06-28T08:20:00.000Z',
    },
  });
  expect(closed.json).toEqual({ ResultCode: 0, ResultMessage: 'OK' });

  const read = (await call('GetTicket_V5', { TicketId: TICKET })).json;
  expect(read.ResultCode).toBe(0);
  expect(read.Ticket).toMatchObject({
    Id: TICKET,
    Title: 'Printer jam',
    State: 'Closed',
    Priority: 2,
    TotalWorkingTime: 20,
  });
  expect(typeof read.Ticket.Priority).toBe('number');
  expect(read.Ticket.ClosedDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const costList = (await call('GetTicketCostList_V1', { TicketId: TICKET })).json;
  // Money stays exact: a string with two places; integers are numbers, lists arrays.
  expect(costList.Costs).toEqual([
    expect.objectContaining({ UnitPrice: '12.50', Amount: 2, Description: 'Toner' }),
  ]);
  // The JSON answer holds what the database holds.
  expect(
    await gw
      .db('tickets')
      .where({ id: TICKET.slice(1, -1) })
      .first('state', 'title'),
  ).toEqual({ state: 'Closed', title: 'Printer jam' });
});

test('booleans are booleans and empty lists are [] in answers', async () => {
  const answer = (await call('GetCommentListOfTicket_V1', { TicketId: TICKET })).json;
  expect(answer.ResultCode).toBe(30);
  await call('SaveTicket_V4', { Ticket: { Id: TICKET, Title: 't' } });
  const comments = (await call('GetTicketComments_V1', { TicketId: TICKET })).json;
  expect(comments).toMatchObject({ ResultCode: 0 });
  expect(Object.values(comments).some((v) => Array.isArray(v) && v.length === 0)).toBe(true);
  const assignees = (await call('GetAssigneeList_V1', {})).json;
  expect(typeof assignees.Assignees[0].AssigneeIsGroup).toBe('boolean');
});

test('validation names every problem with its path; wrong JSON types and unknown fields are 35, nothing stored', async () => {
  const refused = await call('SaveTicket_V4', {
    Ticket: { Id: 'not-a-guid', Title: 'x'.repeat(300), Priority: '2', Colour: 'red' },
  });
  expect(refused.status).toBe(200);
  expect(refused.json.ResultCode).toBe(35);
  for (const part of [
    'Ticket/Colour: unknown field',
    'Ticket/Id',
    'Ticket/Title',
    'Ticket/Priority',
  ])
    expect(refused.json.ResultMessage).toContain(part);
  expect((await call('SaveTicket_V4', { Ticket: [] })).json.ResultMessage).toContain(
    'Ticket: must be a JSON object, not an array',
  );
  expect((await call('SaveTicketCosts_V1', { Costs: {} })).json.ResultMessage).toContain(
    'Costs: must be a JSON array',
  );
  expect(
    (await call('SaveTicket_V4', { Ticket: { Id: TICKET, Title: 5 } })).json.ResultMessage,
  ).toContain('Ticket/Title: must be a string, not a number');
  const tooMany = Array.from(
    { length: 1001 },
    (_, i) => `{00000000-0000-4000-8000-${String(i).padStart(12, '0')}}`,
  );
  expect((await call('DeleteTickets_V1', { TicketIds: tooMany })).json).toMatchObject({
    ResultCode: 35,
    ResultMessage: expect.stringContaining('TicketIds: more than 1000 items'),
  });
  expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
});

test('framing errors: not JSON 400, wrong media type 415, too large 413, unknown command 404, GET 405, each a JSON answer', async () => {
  const notJson = await call('SaveTicket_V4', '{"Ticket": ');
  expect(notJson).toMatchObject({
    status: 400,
    code: '35',
    json: { ResultCode: 35, ResultMessage: expect.stringContaining('not JSON') },
  });
  const xml = await fetch(`${gw.url}/api/v1/commands/SaveTicket_V4`, {
    method: 'POST',
    body: '<a/>',
    headers: { 'Content-Type': 'text/xml' },
  });
  expect([xml.status, ((await xml.json()) as Answer).ResultMessage]).toEqual([
    415,
    'Content-Type must be application/json, not text/xml',
  ]);
  const big = await call('SaveTicket_V4', {
    Ticket: { Id: TICKET, Title: 'x'.repeat(9 * 1024 * 1024) },
  });
  expect(big).toMatchObject({
    status: 413,
    json: { ResultCode: 35, ResultMessage: expect.stringContaining('larger than the limit') },
  });
  const unknown = await call('SaveTicket_V99', {});
  expect(unknown).toMatchObject({
    status: 404,
    json: {
      ResultCode: 35,
      ResultMessage: expect.stringContaining('SaveTicket has no version 99'),
    },
  });
  expect((await call('not-a-command', {})).status).toBe(404);
  const get = await fetch(`${gw.url}/api/v1/commands/SaveTicket_V4`);
  expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
});

test("permissions and sessions are the core's: a read-only session gets 35 on a save, nothing stored", async () => {
  await bindSession(gw.db, DORA_SESSION, '10000000-0000-4000-8000-000000000004');
  const refused = await call(
    'SaveTicket_V4',
    { Ticket: { Id: TICKET, Title: 't' } },
    { 'X-SICS-SESSION': DORA_SESSION },
  );
  expect(refused.json).toMatchObject({
    ResultCode: 35,
    ResultMessage: expect.stringContaining('TICKET_CREATE'),
  });
  expect(
    (
      await call(
        'SaveTicket_V4',
        { Ticket: { Id: TICKET, Title: 't' } },
        { 'X-SICS-SESSION': 'unknown-session-00000000000000000000' },
      )
    ).json.ResultCode,
  ).toBe(7);
  expect(await gw.db('tickets').count({ n: '*' }).first()).toEqual({ n: 0 });
});

describe('Accept negotiation on POST /acmp', () => {
  const body = request(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${TICKET}</Id><Title>Printer jam</Title></Ticket>`,
  );
  test('Accept: application/json answers the same outcome in JSON', async () => {
    const res = await fetch(`${gw.url}/acmp`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml', Accept: 'application/json' },
    });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({
      TicketId: TICKET,
      TicketNumber: 1,
      ResultCode: 0,
      ResultMessage: 'OK',
    });
  });
  test('Accept: text/xml, */* or none keeps XML', async () => {
    for (const accept of ['text/xml', '*/*', undefined]) {
      const res = await fetch(`${gw.url}/acmp`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'text/xml', ...(accept ? { Accept: accept } : {}) },
      });
      expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
      expect(await res.text()).toContain('<ResultCode>0</ResultCode>');
    }
  });
  test('an unrecognisable document answers {ResultCode, ResultMessage} in JSON', async () => {
    const res = await fetch(`${gw.url}/acmp`, {
      method: 'POST',
      body: '<Other/>',
      headers: { 'Content-Type': 'text/xml', Accept: 'application/json' },
    });
    expect(await res.json()).toEqual({
      ResultCode: 35,
      ResultMessage: 'The root element must be <ICQL>, not <Other>',
    });
  });
});

describe('GET /openapi.json', () => {
  let doc: Answer;
  beforeAll(async () => {
    doc = (await (await fetch(`${gw.url}/openapi.json`)).json()) as Answer;
  });

  test('is a valid OpenAPI 3.1 document with one path per command version', async () => {
    // The validator package is ESM only: its own command-line tool checks the document as served.
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    let verdict: { valid: boolean; errors?: unknown[] };
    try {
      verdict = JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' }));
    } catch (error) {
      verdict = JSON.parse((error as { stdout: string }).stdout);
    }
    expect(verdict.errors ?? []).toEqual([]);
    expect(verdict.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
    const registry = (await import('../support/gateway')).testRegistry();
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/api/v1/commands/'))
        .sort(),
    ).toEqual([...registry.commands.keys()].map((k) => `/api/v1/commands/${k}`).sort());
  });

  test('every command version answers its example with a well-formed command answer', async () => {
    const { testRegistry } = await import('../support/gateway');
    let withExample = 0;
    for (const [path, item] of Object.entries(doc.paths as Record<string, Answer>)) {
      if (!path.startsWith('/api/v1/commands/')) continue;
      const key = path.split('/').pop()!;
      const example = item.post.requestBody.content['application/json'].example;
      if (example !== undefined) withExample++;
      await gw.reset();
      const res = await call(key, example ?? {});
      expect({ key, status: res.status }).toEqual({ key, status: 200 });
      expect({ key, internal: [18, 19].includes(res.json.ResultCode) }).toEqual({
        key,
        internal: false,
      });
      // The answer fits the command's response schema, the one the document names.
      const command = testRegistry().commands.get(key)!;
      expect(item.post.responses['200'].content['application/json'].schema.$ref).toBe(
        `#/components/schemas/T${command.definition.name}Response_V${command.definition.version}`,
      );
      expect({
        key,
        fields: Object.keys(res.json).every(
          (f) => command.response.kind === 'object' && command.response.fields.has(f),
        ),
      }).toEqual({ key, fields: true });
    }
    expect(withExample).toBeGreaterThan(Object.keys(doc.paths).length * 0.9);
  });
});
