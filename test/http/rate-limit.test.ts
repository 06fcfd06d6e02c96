// Rate limits: per address and per session, counted in PostgreSQL so that every
// gateway process on one database shares them; a refused request gets 429, Retry-After and
// ResultCode 35 in its transport's framing; loopback is exempt unless asked for; /health never.
import http from 'node:http';
import type { RateLimits } from '../../src/config';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

jest.setTimeout(30000);

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request from a chosen loopback address (127.0.0.x all reach a server on 127.0.0.1), as another client would. */
function send(
  url: string,
  path: string,
  options: { from?: string; method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${url}${path}`,
      {
        method: options.method ?? 'POST',
        headers: options.headers,
        localAddress: options.from ?? '127.0.0.1',
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const VERSIONS = request('GetCommandVersions', 1, '');
const acmp = (url: string, from?: string, headers: Record<string, string> = {}) =>
  send(url, '/acmp', { from, body: VERSIONS, headers: { 'Content-Type': 'text/xml', ...headers } });

const soapEnvelope = (ns: string, session?: string) =>
  `<env:Envelope xmlns:env="${ns}" xmlns:a="http://acmp.com/soap">` +
  (session ? `<env:Header><a:SessionId>${session}</a:SessionId></env:Header>` : '') +
  '<env:Body><a:TGetCommandVersionsRequest_V1/></env:Body></env:Envelope>';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

const limits = (l: Partial<RateLimits>): RateLimits => ({
  perAddress: 0,
  perSession: 0,
  windowSeconds: 3600,
  loopback: true,
  ...l,
});

function expectRetryAfter(answer: Answer, windowSeconds: number): number {
  expect(answer.status).toBe(429);
  const seconds = Number(answer.headers['retry-after']);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(windowSeconds);
  expect(answer.headers['x-acmp-result-code']).toBe('35');
  expect(answer.headers['x-request-id']).toBeTruthy();
  return seconds;
}

const started: TestGateway[] = [];
async function gateway(
  rateLimits: RateLimits,
  options: { database?: TestGateway } = {},
): Promise<TestGateway> {
  const gw = await startTestGateway('open', { rateLimits, database: options.database });
  if (!options.database) await gw.reset();
  started.unshift(gw); // a second instance stops before the database's owner
  return gw;
}
afterEach(async () => {
  for (const gw of started.splice(0)) await gw.stop();
});

test("a refused request: 429, Retry-After and ResultCode 35 in each transport's framing; /health is never limited", async () => {
  const { url } = await gateway(limits({ perAddress: 1 }));
  for (let i = 0; i < 3; i++)
    expect((await send(url, '/health', { method: 'GET' })).status).toBe(200);
  expect((await acmp(url)).status).toBe(200); // the one request of the window

  const xml = await acmp(url);
  const seconds = expectRetryAfter(xml, 3600);
  expect(xml.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(xml.body).toContain('<ResultCode>35</ResultCode>');
  expect(xml.body).toMatch(
    new RegExp(
      `<ResultMessage>Too many requests from this address: at most 1 in 3600 s\\. Retry after ${seconds} s \\(at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\); nothing was run</ResultMessage>`,
    ),
  );

  const soap11 = await send(url, '/soap', {
    body: soapEnvelope(SOAP11),
    headers: { 'Content-Type': 'text/xml; charset=utf-8' },
  });
  expectRetryAfter(soap11, 3600);
  expect(soap11.headers['content-type']).toBe('text/xml; charset=utf-8');
  expect(soap11.body).toContain(`<env:Envelope xmlns:env="${SOAP11}">`);
  expect(soap11.body).toContain('<faultcode>env:Client</faultcode>');
  expect(soap11.body).toMatch(/<ResultCode xmlns="http:\/\/acmp.com\/soap">35<\/ResultCode>/);
  expect(soap11.body).toContain('Retry after');

  const soap12 = await send(url, '/soap', {
    body: soapEnvelope(SOAP12),
    headers: { 'Content-Type': 'application/soap+xml; charset=utf-8' },
  });
  expectRetryAfter(soap12, 3600);
  expect(soap12.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
  expect(soap12.body).toContain(`<env:Envelope xmlns:env="${SOAP12}">`);
  expect(soap12.body).toContain('<env:Value>env:Sender</env:Value>');
  expect(soap12.body).toMatch(/<ResultCode xmlns="http:\/\/acmp.com\/soap">35<\/ResultCode>/);

  const json = await send(url, '/api/v1/commands/GetCommandVersions_V1', {
    body: '{}',
    headers: { 'Content-Type': 'application/json' },
  });
  expectRetryAfter(json, 3600);
  expect(JSON.parse(json.body)).toEqual({
    ResultCode: 35,
    ResultMessage: expect.stringMatching(
      /^Too many requests from this address: at most 1 in 3600 s\. Retry after \d+ s/,
    ),
  });

  const sics = await send(url, '/Session', {
    body: JSON.stringify({ UserName: 'Anna Admin', Password: 'anna-demo-password' }),
    headers: { 'Content-Type': 'application/json' },
  });
  expectRetryAfter(sics, 3600);
  expect(JSON.parse(sics.body)).toEqual({
    ErrorCode: 35,
    Error: expect.stringMatching(/^Too many requests from this address: .* Retry after \d+ s/),
  });

  expect((await send(url, '/health', { method: 'GET' })).status).toBe(200);
});

test('per session (X-SICS-SESSION or the SOAP SessionId header) and per address are counted apart; the table holds no session', async () => {
  const gw = await gateway(limits({ perAddress: 5, perSession: 2 }));
  const { url } = gw;
  const A = '{5E550000-0000-4000-8000-00000000000A}';
  const B = '{5E550000-0000-4000-8000-00000000000B}';
  const C = '{5E550000-0000-4000-8000-00000000000C}';
  // Session A, from one address: over X-SICS-SESSION, then in the SOAP header: the third is refused.
  expect((await acmp(url, '127.0.0.4', { 'X-SICS-SESSION': A })).status).toBe(200);
  expect(
    (
      await send(url, '/soap', {
        from: '127.0.0.4',
        body: soapEnvelope(SOAP11, A),
        headers: { 'Content-Type': 'text/xml' },
      })
    ).status,
  ).toBe(200);
  const refused = await acmp(url, '127.0.0.4', { 'X-SICS-SESSION': A });
  expectRetryAfter(refused, 3600);
  expect(refused.body).toContain('Too many requests with this session: at most 2 in 3600 s');
  const soapRefused = await send(url, '/soap', {
    from: '127.0.0.4',
    body: soapEnvelope(SOAP11, A),
    headers: { 'Content-Type': 'text/xml' },
  });
  expectRetryAfter(soapRefused, 3600);
  expect(soapRefused.body).toContain('Too many requests with this session');
  // Another session from the same address still goes through (the address has sent 4 of its 5).
  expect((await acmp(url, '127.0.0.4', { 'X-SICS-SESSION': B })).status).toBe(200);

  // Per address: the sixth request from 127.0.0.2 is refused whatever session it carries; 127.0.0.3 is not.
  for (let i = 0; i < 5; i++) expect((await acmp(url, '127.0.0.2')).status).toBe(200);
  const byAddress = await acmp(url, '127.0.0.2', { 'X-SICS-SESSION': C });
  expectRetryAfter(byAddress, 3600);
  expect(byAddress.body).toContain('Too many requests from this address: at most 5 in 3600 s');
  expect((await acmp(url, '127.0.0.3')).status).toBe(200);

  // Sessions are secrets: the table keys on their hash.
  const keys: string[] = (await gw.db.raw('select key from rate_limits')).rows.map(
    (r: { key: string }) => r.key,
  );
  expect(keys.sort()).toEqual([
    'a:127.0.0.2',
    'a:127.0.0.3',
    'a:127.0.0.4',
    expect.stringMatching(/^s:[\w-]{43}$/),
    expect.stringMatching(/^s:[\w-]{43}$/),
  ]);
  expect(keys.join(' ')).not.toContain('5E550000');
});

test('clients on loopback are exempt unless ACMP_RATE_LIMIT_LOOPBACK=on', async () => {
  const exempt = await gateway(limits({ perAddress: 1, perSession: 1, loopback: false }));
  for (const from of ['127.0.0.1', '127.0.0.2']) {
    for (let i = 0; i < 4; i++)
      expect((await acmp(exempt.url, from, { 'X-SICS-SESSION': 'S' })).status).toBe(200);
  }
  expect((await exempt.db.raw('select count(*) as n from rate_limits')).rows[0].n).toBe(0); // not even counted

  const limited = await gateway(limits({ perAddress: 1, loopback: true }));
  expect((await acmp(limited.url)).status).toBe(200);
  expectRetryAfter(await acmp(limited.url), 3600);
});

test('two gateway instances over one database share the count', async () => {
  const first = await gateway(limits({ perAddress: 3 }));
  const second = await gateway(limits({ perAddress: 3 }), { database: first });
  expect((await acmp(first.url)).status).toBe(200);
  expect((await acmp(second.url)).status).toBe(200);
  expect((await acmp(first.url)).status).toBe(200);
  expectRetryAfter(await acmp(second.url), 3600); // its fourth in the window, though the second's second
  expectRetryAfter(await acmp(first.url), 3600);
});

test('the window resets: refused until Retry-After, served after it; ended windows are cleaned up', async () => {
  const { url, db } = await gateway(limits({ perAddress: 1, windowSeconds: 2 }));
  const rows = async () =>
    (await db.raw('select key from rate_limits order by key')).rows.map(
      (r: { key: string }) => r.key,
    );
  // Windows are aligned to multiples of 2 s: start early in one, so the next two requests share it.
  while (Date.now() % 2000 > 300) await delay(20);
  expect((await acmp(url, '127.0.0.3')).status).toBe(200);
  expect((await acmp(url, '127.0.0.2')).status).toBe(200);
  let seconds = expectRetryAfter(await acmp(url, '127.0.0.2'), 2);
  await delay(seconds * 1000 + 100);
  expect((await acmp(url, '127.0.0.2')).status).toBe(200); // its row of the last window counts anew
  seconds = expectRetryAfter(await acmp(url, '127.0.0.2'), 2);
  expect(await rows()).toEqual(['a:127.0.0.2', 'a:127.0.0.3']); // the ended window is kept for one more
  // A window later, 127.0.0.3's row goes with a count (at most one cleaning per window and process).
  await delay(seconds * 1000 + 100);
  for (let i = 0; i < 30 && (await rows()).includes('a:127.0.0.3'); i++) {
    expect((await acmp(url, '127.0.0.2')).status).not.toBe(500);
    await delay(100);
  }
  expect(await rows()).toEqual(['a:127.0.0.2']);
});
