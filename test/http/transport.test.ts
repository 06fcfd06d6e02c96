// The plain XML transport of docs/protocol.md §8 and GET /health.
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app';
import { request, startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.reset();
});
afterAll(() => gw.stop());

const getSettings =
  '<ICQL><ACMP><GetHelpdeskSettings version="1"><TGetHelpdeskSettingsRequest_V1 /></GetHelpdeskSettings></ACMP></ICQL>';

test('an ICQL answer is HTTP 200 whatever its ResultCode, with X-ACMP-Result-Code and text/xml', async () => {
  const ok = await gw.post(getSettings);
  expect([ok.status, ok.resultCode, ok.headers.get('content-type')]).toEqual([
    200,
    0,
    'text/xml; charset=utf-8',
  ]);
  const notFound = await gw.post(
    request('GetTicket', 5, '<TicketId>{59387FFD-B171-47C5-B735-041FA132CA39}</TicketId>'),
  );
  expect([notFound.status, notFound.resultCode]).toEqual([200, 30]);
  expect(notFound.body).toContain('<ResultCode>30</ResultCode>');
});

test('application/xml and a missing Content-Type are read as XML', async () => {
  expect((await gw.post(getSettings, { 'Content-Type': 'application/xml' })).resultCode).toBe(0);
  const res = await fetch(`${gw.url}/acmp`, { method: 'POST', body: Buffer.from(getSettings) });
  expect(res.headers.get('x-acmp-result-code')).toBe('0');
});

test('a body that is not XML at all is 400 with an ICQL error body', async () => {
  const res = await gw.post('{"command": "SaveTicket"}');
  expect([res.status, res.resultCode]).toEqual([400, 35]);
  expect(res.body).toMatch(
    /<Error ActionType="Response" version="1">[\s\S]*<ResultMessage>The request body is not XML/,
  );
});

test('malformed XML is an ICQL answer (200, 35) naming line and column, without a stack trace', async () => {
  const res = await gw.post('<ICQL><ACMP><GetTicket version="5"></ACMP></ICQL>');
  expect([res.status, res.resultCode]).toEqual([200, 35]);
  expect(res.body).toMatch(/Malformed XML at line 1, column \d+/);
  expect(res.body).not.toMatch(/\bat \w+ \(|node_modules|\.ts:\d+/);
});

test('a wrong media type is 415 with an ICQL error body', async () => {
  const res = await gw.post(getSettings, { 'Content-Type': 'application/json' });
  expect([res.status, res.resultCode]).toEqual([415, 35]);
  expect(res.body).toContain('Content-Type must be text/xml or application/xml');
  const latin1 = await gw.post(getSettings, { 'Content-Type': 'text/xml; charset=iso-8859-1' });
  expect(latin1.status).toBe(415);
});

test('GET on /acmp is 405 with Allow: POST', async () => {
  const res = await fetch(`${gw.url}/acmp`);
  expect([res.status, res.headers.get('allow')]).toEqual([405, 'POST']);
});

test('the body limit is configurable and a larger body is 413 with an ICQL error body', async () => {
  const app = buildApp({
    db: gw.db,
    registry: testRegistry(),
    bodyLimit: '1kb',
    authMode: 'open',
    log: () => {},
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`;
    const big = request(
      'SaveTicket',
      4,
      `<Ticket><Id>{59387FFD-B171-47C5-B735-041FA132CA39}</Id><Title>${'x'.repeat(2000)}</Title></Ticket>`,
    );
    const res = await fetch(url, {
      method: 'POST',
      body: big,
      headers: { 'Content-Type': 'text/xml' },
    });
    expect([res.status, res.headers.get('x-acmp-result-code')]).toEqual([413, '35']);
    expect(await res.text()).toContain('larger than the limit of 1kb');
    expect(await gw.db('tickets').count('* as n').first()).toEqual({ n: 0 });
  } finally {
    await new Promise((r) => server.close(r));
  }
});

test('the default limit takes a 3 MB attachment in base64', async () => {
  const content = Buffer.alloc(3 * 1024 * 1024, 7).toString('base64');
  const res = await gw.post(
    request(
      'SaveTicket',
      4,
      `<Ticket><Id>{59387FFD-B171-47C5-B735-041FA132CA39}</Id><Title>t</Title><HtmlDescription>${content.slice(0, 99000)}</HtmlDescription></Ticket><!-- ${content} -->`,
    ),
  );
  expect(res.status).toBe(200);
  expect(res.resultCode).toBe(0);
});

test('GET /health reports the database', async () => {
  const res = await fetch(`${gw.url}/health`);
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ status: 'ok', database: 'up' });
});

describe('the body is UTF-8 or it is refused', () => {
  const id = '{59387FFD-B171-47C5-B735-041FA132CA40}';
  const save = (title: string) =>
    request('SaveTicket', 4, `<Ticket><Id>${id}</Id><Title>${title}</Title></Ticket>`);
  const stored = () =>
    gw
      .db('tickets')
      .where({ id: id.slice(1, -1).toLowerCase() })
      .first();

  test('invalid bytes are 35 naming their byte offset, and nothing is stored', async () => {
    const [before, after] = save('\u0000').split('\u0000');
    const body = Buffer.concat([
      Buffer.from(`${before}Caf`, 'utf8'),
      Buffer.from([0xe9]),
      Buffer.from(` crème${after}`, 'utf8'),
    ]); // latin1 é
    const res = await gw.post(body);
    expect([res.status, res.resultCode]).toEqual([200, 35]);
    expect(res.body).toContain(
      `<ResultMessage>The request body is not valid UTF-8 at byte offset ${Buffer.byteLength(before) + 3} (bytes E9 20 63 72); send it in UTF-8. Nothing was stored</ResultMessage>`,
    );
    expect(await stored()).toBeUndefined();
  });

  test('valid UTF-8 of every length is stored as sent', async () => {
    expect((await gw.post(Buffer.from(save('Café € 😀 \uFFFD'), 'utf8'))).resultCode).toBe(0);
    expect((await stored()).title).toBe('Café € 😀 \uFFFD');
  });
});

test('a DOCTYPE in a CDATA description is text: stored and read back verbatim', async () => {
  const id = '{59387FFD-B171-47C5-B735-041FA132CA41}';
  const html =
    '<!DOCTYPE html><html><!-- <!ENTITY x "y"> --><body>&amp; &lt;!DOCTYPE</body></html>';
  const saved = await gw.post(
    request(
      'SaveTicket',
      4,
      `<Ticket><Id>${id}</Id><Title>t</Title><HtmlDescription><![CDATA[${html}]]></HtmlDescription></Ticket>`,
    ),
  );
  expect(saved.resultCode).toBe(0);
  const read = await gw.post(request('GetTicket', 5, `<TicketId>${id}</TicketId>`));
  expect(read.body).toContain(
    `<HtmlDescription>${html.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</HtmlDescription>`,
  );
});
