// One generated test per fixture folder: the case's seed on top of the demo seed, the request
// posted over HTTP, the response compared canonically with placeholders (README "Fixtures").
// A case without response.xml is recorded on a local run (review it before committing) and
// fails under CI=true.
import { writeFileSync } from 'fs';
import path from 'path';
import { compareResponses, withPlaceholders } from '../../src/tools/fixtures/compare';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});

const cases = listFixtureCases();
describe.each([...new Set(cases.map((c) => c.command))])('%s', (command) => {
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await gw.reset(...(c.seed ? [c.seed] : []));
    const res = await gw.post(c.request);
    expect(res.status).toBe(200);
    if (c.response === undefined) {
      if (process.env.CI) throw new Error(`${c.dir} has no response.xml; record it with a local run and review it`);
      writeFileSync(path.join(c.dir, 'response.xml'), withPlaceholders(res.body) + '\n');
      return;
    }
    const { expected, actual } = compareResponses(c.response, res.body);
    expect(actual).toBe(expected);
    expect(String(res.resultCode)).toBe(/<ResultCode>(-?\d+)<\/ResultCode>/.exec(c.response)![1]);
  });
});
