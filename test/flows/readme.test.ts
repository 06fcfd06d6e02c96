// The README's shell walk-throughs, run exactly as written (only the address is the test
// gateway's): the automation flow with curl, and logging in. A README that drifts from the
// gateway fails here.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { startTestGateway, type TestGateway } from '../support/gateway';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

/** The first ```sh block after the heading. */
function shellBlock(heading: string): string {
  const at = readme.indexOf(`\n### ${heading}`);
  if (at < 0) throw new Error(`README has no section "${heading}"`);
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(at));
  if (!block) throw new Error(`README section "${heading}" has no sh block`);
  return block[1];
}

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
  const out = await run(shellBlock('Logging in (spec §5)'));
  expect(out).toContain('<LoginResult>Successful</LoginResult>');
  expect(codes(out)).toEqual([0, 0]);
});

test('"The automation flow with curl", after logging in as the README shows: create, close, read back', async () => {
  // The flow runs with the session of the login block (required mode), as a client would.
  const flow = shellBlock('The automation flow with curl').replace(
    /curl -s (http:\/\/127\.0\.0\.1:3900\/acmp)/g,
    'curl -s -H "X-SICS-SESSION: $SESSION" $1',
  );
  const out = await run(`${shellBlock('Logging in (spec §5)')}\n${flow}`);
  expect(codes(out)).toEqual([0, 0, 0, 0, 0]);
  expect(out).toContain('<State>Closed</State>');
  expect(out).toContain('<TotalWorkingTime>20</TotalWorkingTime>');
  expect(out).toMatch(/<ClosedDate>\d{4}-\d\d-\d\dT[\d:.]+Z<\/ClosedDate>/);
});

/** A walk-through run after the README's login, every curl to the gateway carrying the session, as a client would in required mode. */
const afterLogin = (heading: string) =>
  `${shellBlock('Logging in (spec §5)')}\n${shellBlock(heading).replaceAll('curl -s ', 'curl -s -H "X-SICS-SESSION: $SESSION" ')}`;

test('"SOAP 1.1 and 1.2": the WSDL is fetched and SaveTicket_V4 over SOAP 1.1 answers 0', async () => {
  const out = await run(
    `cd "$(mktemp -d)"\n${afterLogin('SOAP 1.1 and 1.2 (spec §8.3)')}\necho\ngrep -c 'name="SaveTicket_V4"' acmp.wsdl`,
  );
  expect(out).toMatch(/<TSaveTicketResponse_V4[\s\S]*<ResultCode>0<\/ResultCode>/);
  expect(Number(out.trim().split('\n').pop())).toBeGreaterThan(0);
});

test('"JSON and OpenAPI": create, close and read back in one batch, Accept negotiation, openapi.json', async () => {
  const out = await run(
    `cd "$(mktemp -d)"\n${afterLogin('JSON and OpenAPI (spec §8.4)')}\necho\nnode -p 'JSON.parse(require("fs").readFileSync("openapi.json","utf8")).openapi'`,
  );
  expect(out).toContain('"TicketNumber":1,"ResultCode":0,"ResultMessage":"OK"}');
  expect(out).toContain(
    '[{"CloseTicket_V1":{"ResultCode":0,"ResultMessage":"OK"}},{"GetTicket_V5":{"Ticket":{',
  );
  expect(out).toContain('"State":"Closed"');
  expect(out.trim().split('\n').pop()).toBe('3.1.0');
});

test('"SICS bus": session, router, target, a Base64 SaveTicket_V4 published and its answer consumed and decoded', async () => {
  const out = await run(shellBlock('SICS bus (spec §8.2)'));
  expect(out).toMatch(/\{"MessageId":"[^"]+"\}/);
  expect(out).toMatch(/<TSaveTicketResponse_V4[\s\S]*<ResultCode>0<\/ResultCode>/);
  expect(
    await gw.db('tickets').where({ id: '3F2504E0-4F89-41D3-9A0C-0305E82C3301' }).first('title'),
  ).toEqual({ title: 'Printer on floor 3 jams' });
});
