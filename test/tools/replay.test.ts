// `npm run replay` against a real gateway over HTTP: a temporary fixture folder with a passing
// case, a failing one, a new one and one that needs a seed; then --record, and the CLI's exit codes.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { PROJECT_ROOT } from '../../src/config';
import { replay } from '../../src/tools/fixtures/replay-cases';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const TICKET = '{6A1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A09}';

const settingsResponse = (
  defaultPriority: number,
) => `<ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://acmp.com/GetHelpdeskSettingsResponse_V1">
  <ACMP>
    <GetHelpdeskSettings ActionType="Response" version="1">
      <TGetHelpdeskSettingsResponse_V1 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <Settings xsi:type="THelpdeskSettings_V1">
          <ResolutionsEnabled>false</ResolutionsEnabled>
          <CommentRequiredOnClose>false</CommentRequiredOnClose>
          <WorkingTimesEnabled>true</WorkingTimesEnabled>
          <WorkingTimeRequiredOnClose>false</WorkingTimeRequiredOnClose>
          <MaxAttachmentSizeKb>3072</MaxAttachmentSizeKb>
          <DefaultPriority>${defaultPriority}</DefaultPriority>
        </Settings>
        <ResultCode>0</ResultCode>
        <ResultMessage>OK</ResultMessage>
      </TGetHelpdeskSettingsResponse_V1>
    </GetHelpdeskSettings>
  </ACMP>
</ICQL>
`;

let gw: TestGateway;
let root: string;

function writeCase(id: string, files: Record<string, string>): string {
  const dir = path.join(root, id);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

beforeAll(async () => {
  gw = await startTestGateway();
  await gw.reset();
  const saved = await gw.post(
    request(
      'SaveTicket',
      4,
      `        <Ticket xsi:type="TTicket_V4">\n          <Id>${TICKET}</Id>\n          <Title>Replay me</Title>\n        </Ticket>`,
    ),
  );
  expect(saved.resultCode).toBe(0);

  root = mkdtempSync(path.join(os.tmpdir(), 'acmp-replay-test-'));
  const settings = request('GetHelpdeskSettings', 1, '');
  writeCase('GetHelpdeskSettings_V1/demo-settings', {
    'request.xml': settings,
    'response.xml': settingsResponse(3),
  });
  writeCase('GetHelpdeskSettings_V1/wrong-default-priority', {
    'request.xml': settings,
    'response.xml': settingsResponse(4),
  });
  writeCase('GetTicket_V5/existing-ticket', {
    'request.xml': request('GetTicket', 5, `        <TicketId>${TICKET}</TicketId>`),
  });
  writeCase('GetTicket_V5/ticket-from-seed', {
    'request.xml': request(
      'GetTicket',
      5,
      '        <TicketId>{00000000-0000-4000-8000-0000000000AA}</TicketId>',
    ),
    'seed.json': JSON.stringify({
      Tickets: [{ Id: '{00000000-0000-4000-8000-0000000000AA}', Title: 'Only in the seed' }],
    }),
  });
});

afterAll(async () => {
  await gw?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

async function run(options: Partial<Parameters<typeof replay>[0]> = {}) {
  const lines: string[] = [];
  const summary = await replay({
    url: `${gw.url}/acmp`,
    paths: [root],
    out: (t) => lines.push(t),
    ...options,
  });
  const outcomes = Object.fromEntries(summary.results.map((r) => [r.id, r.outcome]));
  return { summary, outcomes, text: lines.join('\n') };
}

test('reports PASS, FAIL with a readable diff, NEW and NEEDS SEED without writing anything', async () => {
  const { summary, outcomes, text } = await run();
  expect(outcomes).toEqual({
    'GetHelpdeskSettings_V1/demo-settings': 'PASS',
    'GetHelpdeskSettings_V1/wrong-default-priority': 'FAIL',
    'GetTicket_V5/existing-ticket': 'NEW',
    'GetTicket_V5/ticket-from-seed': 'NEEDS SEED',
  });
  expect(summary).toMatchObject({ passed: 1, failed: 1, new: 1, needsSeed: 1 });
  // The diff names the changed line only, expected (-) then actual (+), with context around it.
  expect(text).toMatch(
    /^ {4}- {10}<DefaultPriority>4<\/DefaultPriority>\n {4}\+ {10}<DefaultPriority>3<\/DefaultPriority>$/m,
  );
  expect(text).toMatch(/^ {4} {11}<MaxAttachmentSizeKb>3072<\/MaxAttachmentSizeKb>$/m);
  expect(text).not.toMatch(/^ {4}[-+] .*<ResultCode>/m);
  expect(text).toContain('HTTP 200, X-ACMP-Result-Code 0');
  expect(text.split('\n').pop()).toBe('1 passed, 1 failed, 1 new, 1 skipped (needs seed)');
  expect(existsSync(path.join(root, 'GetTicket_V5/existing-ticket/response.xml'))).toBe(false);
});

/** A proxy in front of the gateway that holds each request a moment and counts how many overlap. */
async function slowProxy(delayMs: (body: string) => number, target = () => gw.url) {
  let inFlight = 0;
  const stats = { maxInFlight: 0, requests: [] as string[] };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
      stats.requests.push(
        `${req.url} ${req.headers['content-type']}${req.headers.soapaction ? ` SOAPAction: ${req.headers.soapaction}` : ''}`,
      );
      await new Promise((r) => setTimeout(r, delayMs(Buffer.concat(chunks).toString())));
      const answer = await fetch(`${target()}${req.url}`, {
        method: req.method,
        body: chunks.length ? Buffer.concat(chunks) : undefined,
        headers: Object.fromEntries(
          Object.entries(req.headers).filter(
            ([k]) => !['host', 'content-length', 'connection'].includes(k),
          ),
        ) as Record<string, string>,
      });
      const body = await answer.text();
      inFlight--;
      res.writeHead(answer.status, {
        'Content-Type': answer.headers.get('content-type') ?? 'text/xml',
        'X-ACMP-Result-Code': answer.headers.get('x-acmp-result-code') ?? '',
      });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`,
    stats,
    close: () =>
      new Promise((r) => {
        server.close(r);
        server.closeAllConnections();
      }),
  };
}

test('--concurrency 4 runs cases at the same time and reports exactly what a serial run reports, in case order', async () => {
  const serial = await run();
  // The first cases' answers come last: the report must still list them first.
  const proxy = await slowProxy((body) => (body.includes('GetHelpdeskSettings') ? 400 : 50));
  try {
    const parallel = await run({ concurrency: 4, url: proxy.url });
    expect(proxy.stats.maxInFlight).toBe(3); // every case that sends anything (the seeded one is skipped)
    expect(parallel.text).toBe(serial.text);
    expect(parallel.summary.results.map((r) => [r.id, r.outcome])).toEqual(
      serial.summary.results.map((r) => [r.id, r.outcome]),
    );
  } finally {
    await proxy.close();
  }
});

test.each(['soap', 'json'] as const)(
  '--transport %s sends each step in that form and compares it with the recorded ICQL answer',
  async (transport) => {
    // An unknown version: the ICQL Error envelope, a SOAP fault or a JSON 404 with the same ResultCode and message.
    const unknown = writeCase('GetHelpdeskSettings_V9/unknown-version', {
      'request.xml': request('GetHelpdeskSettings', 9, ''),
    });
    await run({ record: 'missing', filter: 'unknown-version' });
    expect(readFileSync(path.join(unknown, 'response.xml'), 'utf8')).toContain('<Error');
    const proxy = await slowProxy(() => 0);
    try {
      const { outcomes, text } = await run({
        transport,
        url: proxy.url,
        filter: 'GetHelpdeskSettings_V',
      });
      expect(outcomes).toEqual({
        'GetHelpdeskSettings_V1/demo-settings': 'PASS',
        'GetHelpdeskSettings_V1/wrong-default-priority': 'FAIL',
        'GetHelpdeskSettings_V9/unknown-version': 'PASS',
      });
      expect(text).toMatch(
        /^FAIL +GetHelpdeskSettings_V1\/wrong-default-priority: the answer's payload differs from response\.xml$/m,
      );
      expect(text).toMatch(
        /^ {4}- +<DefaultPriority>4<\/DefaultPriority>\n {4}\+ +<DefaultPriority>3<\/DefaultPriority>$/m,
      );
      expect(proxy.stats.requests).toEqual(
        transport === 'soap'
          ? [
              ...Array(2).fill(
                '/soap text/xml; charset=utf-8 SOAPAction: "GetHelpdeskSettings_V1"',
              ),
              '/soap text/xml; charset=utf-8 SOAPAction: "GetHelpdeskSettings_V9"',
            ]
          : [
              ...Array(2).fill('/api/v1/commands/GetHelpdeskSettings_V1 application/json'),
              '/api/v1/commands/GetHelpdeskSettings_V9 application/json',
            ],
      );
    } finally {
      await proxy.close();
      rmSync(path.dirname(unknown), { recursive: true, force: true });
    }
  },
);

test('--ignore-seed replays a seeded case anyway (here without its data: ResultCode 30)', async () => {
  const { summary, outcomes } = await run({ ignoreSeed: true, filter: 'ticket-from-seed' });
  expect(outcomes).toEqual({ 'GetTicket_V5/ticket-from-seed': 'NEW' });
  expect(summary.results[0].resultCode).toBe('30');
});

test('--record writes response.xml with placeholders, and the next replay passes', async () => {
  const file = path.join(root, 'GetTicket_V5/existing-ticket/response.xml');
  const recorded = await run({ record: 'missing', filter: 'GetTicket_V5/existing' });
  expect(recorded.outcomes).toEqual({ 'GetTicket_V5/existing-ticket': 'NEW' });
  expect(recorded.text).toContain(`recorded ${file}`);
  const xml = readFileSync(file, 'utf8');
  expect(xml).toContain(`<Id>${TICKET}</Id>`);
  expect(xml).toContain('<CreationDate>{{datetime}}</CreationDate>');
  expect(xml).toContain('<ClosedDate>1899-12-30T00:00:00.000Z</ClosedDate>');
  expect(xml).not.toMatch(
    /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z<\/(CreationDate|LastModified)>/,
  );

  const again = await run({ filter: 'GetTicket_V5/existing' });
  expect(again.outcomes).toEqual({ 'GetTicket_V5/existing-ticket': 'PASS' });
  // The failing case is left alone by --record (only --record=all rewrites it).
  expect(
    readFileSync(
      path.join(root, 'GetHelpdeskSettings_V1/wrong-default-priority/response.xml'),
      'utf8',
    ),
  ).toBe(settingsResponse(4));
});

function cli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    execFile(
      'npx',
      ['ts-node', '--transpile-only', 'src/tools/replay.ts', ...args],
      { cwd: PROJECT_ROOT, timeout: 60000, env: childEnv },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('the CLI exits 1 when a case fails and 0 when every case passes', async () => {
  const failing = await cli(['--url', `${gw.url}/acmp`, root]);
  expect(failing.code).toBe(1);
  expect(failing.stdout).toMatch(
    /^FAIL +GetHelpdeskSettings_V1\/wrong-default-priority: the answer differs from response.xml$/m,
  );
  expect(failing.stdout).toMatch(/^ {4}\+ {10}<DefaultPriority>3<\/DefaultPriority>$/m);
  expect(failing.stdout).toMatch(/^\d passed, 1 failed, \d new, 1 skipped \(needs seed\)$/m);
  expect(failing.stderr).not.toMatch(/\r|\d\/\d cases/); // no terminal: no progress line, the result lines are the progress

  const passing = await cli([
    '--url',
    `${gw.url}/acmp`,
    '--filter',
    'demo-settings',
    '--header',
    'X-Trace: replay-test',
    path.join(root, 'GetHelpdeskSettings_V1'),
  ]);
  expect(passing.code).toBe(0);
  expect(passing.stdout).toMatch(/^PASS +GetHelpdeskSettings_V1\/demo-settings$/m);
  expect(passing.stdout).toMatch(/^1 passed, 0 failed, 0 new$/m);
});

test('the CLI refuses an unknown option, a bad value and paths without cases with exit code 2', async () => {
  const res = await cli(['--recrod']);
  expect(res.code).toBe(2);
  expect(res.stderr).toContain('unknown option --recrod');
  const concurrency = await cli(['--concurrency', '0', root]);
  expect(concurrency.code).toBe(2);
  expect(concurrency.stderr).toContain('--concurrency must be a whole number of at least 1');
  const empty = mkdtempSync(path.join(os.tmpdir(), 'acmp-replay-empty-'));
  const none = await cli(['--url', `${gw.url}/acmp`, empty]);
  rmSync(empty, { recursive: true, force: true });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain('no fixture cases found');
});

test('the CLI exits 3 when the gateway cannot be reached', async () => {
  // A port that was free a moment ago: nothing listens there, the connection is refused at once.
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise((r) => server.close(r));
  const res = await cli([
    '--url',
    `http://127.0.0.1:${port}/acmp`,
    '--filter',
    'demo-settings',
    root,
  ]);
  expect(res.stdout).toContain(
    `FAIL       GetHelpdeskSettings_V1/demo-settings: cannot reach http://127.0.0.1:${port}/acmp: ECONNREFUSED\n`,
  );
  expect(res.code).toBe(3);
});

/** The rules of the common JUnit schema (Jenkins xunit junit-10.xsd) that a report can break. */
function junitProblems(xml: string): string[] {
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  }).parse(xml);
  const problems: string[] = [];
  const allowed = (
    where: string,
    node: Record<string, unknown>,
    attrs: string[],
    kids: string[],
  ) => {
    for (const key of Object.keys(node))
      if (!attrs.includes(key) && !kids.includes(key) && key !== '#text')
        problems.push(`${where}: ${key} is not allowed`);
  };
  const time = /^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$/;
  if (!doc.testsuites) return ['the root is not <testsuites>'];
  allowed(
    'testsuites',
    doc.testsuites,
    ['name', 'time', 'tests', 'failures', 'errors'],
    ['testsuite'],
  );
  if (!time.test(doc.testsuites.time)) problems.push(`testsuites: time ${doc.testsuites.time}`);
  for (const suite of doc.testsuites.testsuite ?? []) {
    allowed(
      'testsuite',
      suite,
      [
        'name',
        'tests',
        'failures',
        'errors',
        'time',
        'skipped',
        'timestamp',
        'hostname',
        'id',
        'package',
      ],
      ['testcase', 'properties', 'system-out', 'system-err'],
    );
    for (const a of ['name', 'tests', 'failures', 'errors'])
      if (suite[a] === undefined) problems.push(`testsuite ${suite.name}: no ${a}`);
    if (!time.test(suite.time)) problems.push(`testsuite ${suite.name}: time ${suite.time}`);
    for (const c of suite.testcase ?? []) {
      allowed(
        `testcase ${c.name}`,
        c,
        ['name', 'classname', 'time', 'group'],
        ['failure', 'error', 'skipped', 'system-out', 'system-err'],
      );
      if (c.name === undefined) problems.push('a testcase without name');
    }
  }
  return problems;
}

test('--junit writes a JUnit report: a testsuite per command, every case, the failure with its diff, skipped cases', async () => {
  const file = path.join(os.tmpdir(), `acmp-replay-junit-${process.pid}.xml`);
  const res = await cli(['--url', `${gw.url}/acmp`, '--junit', file, root]);
  expect(res.code).toBe(1);
  const xml = readFileSync(file, 'utf8');
  rmSync(file);
  expect(junitProblems(xml)).toEqual([]);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  }).parse(xml);
  const suites = doc.testsuites.testsuite as any[];
  expect(suites.map((s) => [s.name, s.tests, s.failures, s.errors, s.skipped])).toEqual([
    ['GetHelpdeskSettings_V1', '2', '1', '0', '0'],
    ['GetTicket_V5', '2', '0', '0', expect.stringMatching(/^[12]$/)],
  ]);
  const cases = suites.flatMap((s) => s.testcase.map((c: any) => ({ ...c, suite: s.name })));
  expect(cases.map((c) => `${c.classname}/${c.name}`)).toEqual(summaryIds());
  const failing = cases.find((c) => c.name === 'wrong-default-priority');
  expect(failing.failure.message).toBe('the answer differs from response.xml');
  expect(failing.failure['#text']).toMatch(
    /^- {10}<DefaultPriority>4<\/DefaultPriority>\n\+ {10}<DefaultPriority>3<\/DefaultPriority>$/m,
  );
  expect(cases.find((c) => c.name === 'ticket-from-seed').skipped.message).toContain('seed.json');
  expect(cases.find((c) => c.name === 'demo-settings')).toEqual({
    classname: 'GetHelpdeskSettings_V1',
    name: 'demo-settings',
    time: expect.stringMatching(/^\d+\.\d{3}$/),
    suite: 'GetHelpdeskSettings_V1',
  });
});

function summaryIds(): string[] {
  return [
    'GetHelpdeskSettings_V1/demo-settings',
    'GetHelpdeskSettings_V1/wrong-default-priority',
    'GetTicket_V5/existing-ticket',
    'GetTicket_V5/ticket-from-seed',
  ];
}

test('on a terminal a progress line on stderr is rewritten in place and cleared before each result line', async () => {
  // script(1) runs the CLI on a pseudo-terminal (stdout and stderr both go to its output).
  const command = [
    'npx',
    'ts-node',
    '--transpile-only',
    'src/tools/replay.ts',
    '--url',
    `${gw.url}/acmp`,
    '--filter',
    'GetHelpdeskSettings_V1',
    root,
  ]
    .map((a) => `'${a}'`)
    .join(' ');
  const output: string = await new Promise((resolve) =>
    execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: PROJECT_ROOT, timeout: 60000 },
      (_error, stdout) => resolve(stdout),
    ),
  );
  const CLEAR = '\r\x1b[K';
  expect(output).toContain(`${CLEAR}[${'#'.repeat(15)}${'.'.repeat(15)}] 1/2 cases`);
  expect(output).toContain(`${CLEAR}[${'#'.repeat(30)}] 2/2 cases, 1 failed`);
  // Each result line starts on a cleared line, and the line is gone before the summary.
  expect(output).toContain(`${CLEAR}PASS       GetHelpdeskSettings_V1/demo-settings`);
  expect(output).toMatch(/2\/2 cases, 1 failed\r\x1b\[K\r?\n?.*passed, 1 failed/);
});

test('--record=all rewrites a response that changed and reports it as UPDATED with the diff', async () => {
  const { summary, outcomes, text } = await run({
    record: 'all',
    filter: 'GetHelpdeskSettings_V1',
  });
  expect(outcomes).toEqual({
    'GetHelpdeskSettings_V1/demo-settings': 'PASS',
    'GetHelpdeskSettings_V1/wrong-default-priority': 'UPDATED',
  });
  expect(summary.failed).toBe(0);
  expect(text).toMatch(/^ {4}\+ {10}<DefaultPriority>3<\/DefaultPriority>$/m);
  expect(
    readFileSync(
      path.join(root, 'GetHelpdeskSettings_V1/wrong-default-priority/response.xml'),
      'utf8',
    ),
  ).toContain('<DefaultPriority>3</DefaultPriority>');
});

test('a case of several steps runs them in order, records each, and names the step that differs', async () => {
  const id = '{6A1C2E30-8F1B-4D6E-9C3A-2B7D5E4F1A10}';
  const dir = writeCase('SaveTicket_V4/create-then-read', {
    '01-SaveTicket_V4.request.xml': request(
      'SaveTicket',
      4,
      `        <Ticket xsi:type="TTicket_V4">\n          <Id>${id}</Id>\n          <Title>Step one</Title>\n        </Ticket>`,
    ),
    '02-GetTicket_V5.request.xml': request('GetTicket', 5, `        <TicketId>${id}</TicketId>`),
  });
  const recorded = await run({ record: 'missing', filter: 'create-then-read' });
  expect(recorded.outcomes).toEqual({ 'SaveTicket_V4/create-then-read': 'NEW' });
  const readBack = path.join(dir, '02-GetTicket_V5.response.xml');
  expect(readFileSync(readBack, 'utf8')).toContain('<Title>Step one</Title>');
  expect(existsSync(path.join(dir, '01-SaveTicket_V4.response.xml'))).toBe(true);

  // Replayed again, the save is a retry of the same data and the read-back still shows it.
  expect((await run({ filter: 'create-then-read' })).outcomes).toEqual({
    'SaveTicket_V4/create-then-read': 'PASS',
  });

  writeFileSync(
    readBack,
    readFileSync(readBack, 'utf8').replace('<Title>Step one</Title>', '<Title>Step two</Title>'),
  );
  const { outcomes, text } = await run({ filter: 'create-then-read' });
  expect(outcomes).toEqual({ 'SaveTicket_V4/create-then-read': 'FAIL' });
  expect(text).toMatch(
    /^FAIL +SaveTicket_V4\/create-then-read: step 02-GetTicket_V5: the answer differs from 02-GetTicket_V5\.response\.xml$/m,
  );
  expect(text).toMatch(
    /^ {4}- {10}<Title>Step two<\/Title>\n {4}\+ {10}<Title>Step one<\/Title>$/m,
  );
  rmSync(dir, { recursive: true, force: true });
});

test('--user logs in with ACMP_PASSWORD and sends the session on every step; no password or a wrong one is refused with exit 2', async () => {
  const secured = await startTestGateway('required');
  try {
    await secured.reset();
    const args = ['--url', `${secured.url}/acmp`, '--filter', 'demo-settings', root];
    const anonymous = await cli(args);
    expect(anonymous.code).toBe(1); // the gateway wants a session
    expect(anonymous.stdout).toMatch(/^FAIL +GetHelpdeskSettings_V1\/demo-settings/m);

    const loggedIn = await cli([...args, '--user', 'Anna Admin', '--transport', 'json'], {
      ACMP_PASSWORD: 'anna-demo-password',
    });
    expect(loggedIn.stdout).toMatch(/^PASS +GetHelpdeskSettings_V1\/demo-settings$/m);
    expect(loggedIn.code).toBe(0);
    const overXml = await cli([...args, '--user', 'Anna Admin'], {
      ACMP_PASSWORD: 'anna-demo-password',
    });
    expect(overXml.code).toBe(0);

    // Over the SICS bus, two cases at a time (each worker consumes from a queue of its own); by now
    // --record=all has brought wrong-default-priority in line, so both pass.
    const bus = await cli(
      [
        '--url',
        `${secured.url}/acmp`,
        '--filter',
        'GetHelpdeskSettings_V1',
        '--transport',
        'sics',
        '--concurrency',
        '2',
        '--user',
        'Anna Admin',
        root,
      ],
      { ACMP_PASSWORD: 'anna-demo-password' },
    );
    expect(bus.stdout).toMatch(/^PASS +GetHelpdeskSettings_V1\/demo-settings$/m);
    expect(bus.stdout).toMatch(/^PASS +GetHelpdeskSettings_V1\/wrong-default-priority$/m);
    expect(bus.code).toBe(0);
    const proxy = await slowProxy(
      () => 0,
      () => secured.url,
    );
    try {
      const { summary } = await run({
        url: proxy.url,
        transport: 'sics',
        concurrency: 2,
        login: { user: 'Anna Admin', password: 'anna-demo-password' },
        filter: 'GetHelpdeskSettings_V1',
      });
      expect(summary.passed).toBe(2);
      expect(proxy.stats.requests.map((r) => r.split(' ')[0]).sort()).toEqual(
        [
          '/Consume',
          '/Consume',
          '/Publish',
          '/Publish',
          '/Session',
          '/Session',
          '/Target',
          '/Target',
          '/VirtualRouter',
          expect.stringMatching(/^\/VirtualRouter\/replay-/),
        ].sort(),
      );
    } finally {
      await proxy.close();
    }
    const noUser = await cli([...args, '--transport', 'sics']);
    expect(noUser.code).toBe(2);
    expect(noUser.stderr).toContain('--transport sics needs --user');

    const wrong = await cli([...args, '--user', 'Anna Admin'], {
      ACMP_PASSWORD: 'not-her-password',
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the gateway refused the login of "Anna Admin"');

    // execFile gives the child no terminal: it cannot ask, so it says what to do.
    const noPassword = await cli([...args, '--user', 'Anna Admin'], { ACMP_PASSWORD: undefined });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--user Anna Admin needs a password: set ACMP_PASSWORD');
  } finally {
    await secured.stop();
  }
}, 240_000); // seven runs of the CLI, each a Node process of its own: slow to start on a busy machine
