// The project's whole fixture tree replayed with `npm run replay`'s code against ONE running
// gateway, as QA replays it against a deployed one: the database is loaded with the demo seed once
// and never reset. Twice in a row, the second time with several cases at once: every case that sets
// up its own data passes both times (fresh ids each run: a run never trips over data an earlier run
// left), and the number of cases that still need a seed of their own is pinned, so that it cannot
// grow unnoticed.
import { FIXTURE_DIR, listFixtureCases } from '../../src/tools/fixtures/discover';
import { replay, ReplaySummary } from '../../src/tools/fixtures/replay-cases';
import { startTestGateway, TestGateway } from '../support/gateway';

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
  const summary = await replay({ url: `${gw.url}/acmp`, paths: [FIXTURE_DIR], concurrency, out: () => undefined });
  const failures = summary.results.filter((r) => r.outcome !== 'PASS' && r.outcome !== 'NEEDS SEED').map((r) => `${r.outcome} ${r.id}: ${r.problem}\n${(r.diff ?? '').split('\n').slice(0, 30).join('\n')}`);
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
