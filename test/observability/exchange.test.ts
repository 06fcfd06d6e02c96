// Every exchange gets a request id (X-Request-Id) and a trace the core fills in: the caller, the
// commands and the ResultCode, whichever transport carried it. The communication log, the metrics
// and the JSON logs all read this one record.
import { bindSession } from '../../src/identity/sessions';
import type { Exchange } from '../../src/observability/exchange';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const BEN = '10000000-0000-4000-8000-000000000002';
const SESSION = 'exchange-test-session-000000000000000';
const exchanges: Exchange[] = [];
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway('required', { exchangeListeners: [(e) => exchanges.push(e)] });
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
  await bindSession(gw.db, SESSION, BEN);
  exchanges.length = 0;
});

/** The finish event fires just after the client has its answer. */
async function lastExchange(): Promise<Exchange> {
  for (let i = 0; i < 50 && exchanges.length === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(exchanges).toHaveLength(1);
  return exchanges[0];
}

test('an ICQL exchange: a fresh request id in the header, the caller, the command and its ResultCode in the trace', async () => {
  const res = await gw.post(
    request('GetTicket', 5, '<TicketId>{00000000-0000-4000-8000-00000000DEAD}</TicketId>'),
    { 'Content-Type': 'text/xml', 'X-SICS-SESSION': SESSION },
  );
  const id = res.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const e = await lastExchange();
  expect(e).toMatchObject({
    requestId: id,
    transport: 'xml',
    method: 'POST',
    path: '/acmp',
    status: 200,
  });
  expect(e.trace).toEqual({
    user: { id: BEN, name: expect.any(String) },
    commands: ['GetTicket_V5'],
    resultCode: res.resultCode,
    resultCodes: [res.resultCode],
  });
  expect(res.resultCode).not.toBe(0);
  expect(e.durationMs).toBeGreaterThan(0);
});

test("a client's own plain request id is kept; a hostile one is replaced", async () => {
  const kept = await fetch(`${gw.url}/health`, { headers: { 'X-Request-Id': 'ci-run-42.step:7' } });
  expect(kept.headers.get('x-request-id')).toBe('ci-run-42.step:7');
  const replaced = await fetch(`${gw.url}/health`, { headers: { 'X-Request-Id': 'a b<script>' } });
  expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('a JSON batch names each command; no session leaves the user unknown and answers 7', async () => {
  const res = await fetch(`${gw.url}/api/v1/batch`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify([
      { GetTicket_V5: { TicketId: '{00000000-0000-4000-8000-00000000DEAD}' } },
      { GetHelpdeskSettings_V1: {} },
    ]),
  });
  expect(res.status).toBe(200);
  const e = await lastExchange();
  expect(e).toMatchObject({ transport: 'json', path: '/api/v1/batch' });
  expect(e.trace).toEqual({
    commands: ['GetTicket_V5', 'GetHelpdeskSettings_V1'],
    resultCode: 7,
    resultCodes: [7, 7],
  });
});

test('a document that is not XML still has a ResultCode in its trace', async () => {
  await gw.post('not xml at all', { 'Content-Type': 'text/xml' });
  const e = await lastExchange();
  expect(e.trace).toEqual({ commands: [], resultCode: 35 });
});
