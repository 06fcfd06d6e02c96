// The documentation's shell walk-throughs, run exactly as written (only the address is the test
// gateway's): the README's automation flow and its one example per transport, logging in
// (docs/identity.md) and the transport walk-throughs (docs/transports.md). A page that drifts from
// the gateway fails here.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { startTestGateway, type TestGateway } from '../support/gateway';

const page = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), 'utf8');
const README = 'README.md';
const IDENTITY = 'docs/identity.md';
const TRANSPORTS = 'docs/transports.md';

/** The first ```sh block after the heading (of any level) in the file. */
function shellBlock(file: string, heading: string): string {
  const text = page(file);
  const at = text.search(new RegExp(`\n#+ ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
  if (at < 0) throw new Error(`${file} has no section "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(text.slice(at));
  if (!block) throw new Error(`${file} section "${heading}" has no sh block`);
  return block[1];
}

const login = () => shellBlock(IDENTITY, 'Logging in');

let gw: TestGateway;
beforeAll(async () => {
  // Authentication required: the login walk-through must work where it matters.
  gw = await startTestGateway('required');
});
afterAll(() => gw.stop());
beforeEach(() => gw.reset());

// Asynchronously: the gateway answers from this process's event loop.
function run(script: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'bash',
      ['-euo', 'pipefail', '-c', script.replaceAll('http://127.0.0.1:3900', gw.url)],
      { encoding: 'utf8', timeout: 30000 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

const codes = (out: string) =>
  [...out.matchAll(/<ResultCode>(-?\d+)<\/ResultCode>/g)].map((m) => Number(m[1]));

test('"Logging in": the login answers Successful and the next command with X-SICS-SESSION answers 0', async () => {
  const out = await run(login());
  expect(out).toContain('<LoginResult>Successful</LoginResult>');
  expect(codes(out)).toEqual([0, 0]);
});

/** The README's automation flow, each of its curls to /acmp carrying the session of the login block. */
const automationFlow = () =>
  shellBlock(README, 'The automation flow with curl').replace(
    /curl -s (http:\/\/127\.0\.0\.1:3900\/acmp)/g,
    'curl -s -H "X-SICS-SESSION: $SESSION" $1',
  );

test('"The automation flow with curl", after logging in as the README shows: create, close, read back', async () => {
  // The flow runs with the session of the login block (required mode), as a client would.
  const out = await run(`${login()}\n${automationFlow()}`);
  expect(codes(out)).toEqual([0, 0, 0, 0, 0]);
  expect(out).toContain('<State>Closed</State>');
  expect(out).toContain('<TotalWorkingTime>20</TotalWorkingTime>');
  expect(out).toMatch(/<ClosedDate>\d{4}-\d\d-\d\dT[\d:.]+Z<\/ClosedDate>/);
});

/** A block whose every curl to the gateway carries the session of the login block. */
const withSession = (file: string, heading: string) =>
  shellBlock(file, heading).replaceAll('curl -s ', 'curl -s -H "X-SICS-SESSION: $SESSION" ');

/** A walk-through run after the documented login, as a client would in required mode. */
const afterLogin = (file: string, heading: string) => `${login()}\n${withSession(file, heading)}`;

test('"SOAP 1.1 and 1.2": the WSDL is fetched and SaveTicket_V4 over SOAP 1.1 answers 0', async () => {
  const out = await run(
    `cd "$(mktemp -d)"\n${afterLogin(TRANSPORTS, 'SOAP 1.1 and 1.2')}\necho\ngrep -c 'name="SaveTicket_V4"' acmp.wsdl`,
  );
  expect(out).toMatch(/<TSaveTicketResponse_V4[\s\S]*<ResultCode>0<\/ResultCode>/);
  expect(Number(out.trim().split('\n').pop())).toBeGreaterThan(0);
});

test('"JSON and OpenAPI": create, close and read back in one batch, Accept negotiation, openapi.json', async () => {
  const out = await run(
    `cd "$(mktemp -d)"\n${afterLogin(TRANSPORTS, 'JSON and OpenAPI')}\necho\nnode -p 'JSON.parse(require("fs").readFileSync("openapi.json","utf8")).openapi'`,
  );
  expect(out).toContain('"TicketNumber":1,"ResultCode":0,"ResultMessage":"OK"}');
  expect(out).toContain(
    '[{"CloseTicket_V1":{"ResultCode":0,"ResultMessage":"OK"}},{"GetTicket_V5":{"Ticket":{',
  );
  expect(out).toContain('"State":"Closed"');
  expect(out.trim().split('\n').pop()).toBe('3.1.0');
});

test('"Plain XML" of docs/transports.md: GetHelpdeskSettings_V1 answers 0', async () => {
  const out = await run(afterLogin(TRANSPORTS, 'Plain XML'));
  expect(codes(out)).toEqual([0, 0, 0]);
  expect(out).toContain('<TGetHelpdeskSettingsResponse_V1');
});

test('"SICS bus": session, router, target, a Base64 SaveTicket_V4 published and its answer consumed and decoded', async () => {
  const out = await run(shellBlock(TRANSPORTS, 'SICS bus'));
  expect(out).toMatch(/\{"MessageId":"[^"]+"\}/);
  expect(out).toMatch(/<TSaveTicketResponse_V4[\s\S]*<ResultCode>0<\/ResultCode>/);
  expect(
    await gw.db('tickets').where({ id: '3F2504E0-4F89-41D3-9A0C-0305E82C3301' }).first('title'),
  ).toEqual({ title: 'Printer on floor 3 jams' });
});

describe("the README's example per transport, as a logged-in client", () => {
  test('"Plain XML": Accept application/json answers the settings in JSON', async () => {
    const out = await run(afterLogin(README, 'Plain XML'));
    expect(JSON.parse(out.slice(out.indexOf('{"Settings"')))).toMatchObject({
      Settings: { WorkingTimesEnabled: true },
      ResultCode: 0,
      ResultMessage: 'OK',
    });
  });

  test('"SICS bus": the answer of a published GetTicketList_V1 is consumed and decoded', async () => {
    const out = await run(shellBlock(README, 'SICS bus'));
    expect(out).toMatch(/\{"MessageId":"[^"]+"\}/);
    expect(out).toMatch(/<TGetTicketListResponse_V1[\s\S]*<ResultCode>0<\/ResultCode>/);
  });

  test('"SOAP": GetTicket_V5, after the automation flow, reads the closed ticket', async () => {
    const out = await run(`${login()}\n${automationFlow()}\n${withSession(README, 'SOAP')}`);
    const soap = out.slice(out.search(/<\w+:Envelope/));
    expect(soap).toMatch(
      /<TGetTicketResponse_V5[\s\S]*<State>Closed<\/State>[\s\S]*<ResultCode>0<\/ResultCode>[\s\S]*<\/\w+:Envelope>/,
    );
  });

  test('"JSON": GetTicket_V5, after the automation flow, reads the closed ticket', async () => {
    const out = await run(`${login()}\n${automationFlow()}\n${withSession(README, 'JSON')}`);
    expect(JSON.parse(out.slice(out.indexOf('{"Ticket"')))).toMatchObject({
      Ticket: { Id: '{59387FFD-B171-47C5-B735-041FA132CA39}', State: 'Closed' },
      ResultCode: 0,
    });
  });
});
