// The project's whole fixture tree replayed with `npm run replay`'s code against ONE running
// gateway, as QA replays it against a deployed one: the database is loaded with the demo seed once
// and never reset. Twice in a row, the second time with several cases at once: every case that sets
// up its own data passes both times (fresh ids each run: a run never trips over data an earlier run
// left), and the number of cases that still need a seed of their own is pinned, so that it cannot
// grow unnoticed.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURE_DIR, listFixtureCases } from '../../src/fixtures/discover';
import { type ReplaySummary, replay } from '../../src/tools/fixtures/replay-cases';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

/** Cases that keep a seed.json (settings, users, templates, fixed dates, lists of the whole database …). */
const NEEDS_SEED = 166;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.reset();
});
afterAll(async () => {
  await gw.stop();
});

async function run(concurrency: number): Promise<{ summary: ReplaySummary; failures: string[] }> {
  const summary = await replay({
    url: `${gw.url}/acmp`,
    paths: [FIXTURE_DIR],
    concurrency,
    out: () => undefined,
  });
  const failures = summary.results
    .filter((r) => r.outcome !== 'PASS' && r.outcome !== 'NEEDS SEED')
    .map(
      (r) =>
        `${r.outcome} ${r.id}: ${r.problem}\n${(r.diff ?? '').split('\n').slice(0, 30).join('\n')}`,
    );
  return { summary, failures };
}

test('the whole fixture tree passes twice against one gateway; only the pinned number of cases needs a seed', async () => {
  const cases = listFixtureCases();
  for (const concurrency of [1, 4]) {
    const { summary, failures } = await run(concurrency);
    expect(failures).toEqual([]);
    expect(summary.needsSeed).toBe(NEEDS_SEED);
    expect(summary.passed).toBe(cases.length - NEEDS_SEED);
  }
}, 600_000);

test('--record writes the fresh ids and the ticket numbers back as placeholders; the recording passes on the next replay', async () => {
  const dir = path.join(
    mkdtempSync(path.join(os.tmpdir(), 'acmp-fresh-')),
    'GetTicket_V5',
    'reads-what-it-created',
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, '01-SaveTicket_V4-setup.request.xml'),
    request(
      'SaveTicket',
      4,
      '        <Ticket xsi:type="TTicket_V4">\n          <Id>{{id:ticket-1}}</Id>\n          <Title>Created by the case</Title>\n        </Ticket>',
    ),
  );
  writeFileSync(
    path.join(dir, '02-GetTicket_V5.request.xml'),
    request('GetTicket', 5, '        <TicketId>{{id:ticket-1:bare-lower}}</TicketId>'),
  );
  const recorded = await replay({
    url: `${gw.url}/acmp`,
    paths: [dir],
    record: 'missing',
    out: () => undefined,
  });
  expect(recorded.new).toBe(1);
  const saved = readFileSync(path.join(dir, '01-SaveTicket_V4-setup.response.xml'), 'utf8');
  const read = readFileSync(path.join(dir, '02-GetTicket_V5.response.xml'), 'utf8');
  expect(saved).toContain('<TicketId>{{id:ticket-1}}</TicketId>');
  expect(saved).toContain('<TicketNumber>{{int:ticket-1}}</TicketNumber>');
  expect(read).toContain('<Id>{{id:ticket-1}}</Id>');
  expect(read).toContain('<TicketNumber>{{int:ticket-1}}</TicketNumber>');
  for (let i = 0; i < 2; i++)
    expect(
      (await replay({ url: `${gw.url}/acmp`, paths: [dir], out: () => undefined })).passed,
    ).toBe(1);
});
