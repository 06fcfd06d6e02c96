// One generated test per fixture folder: the case's seed on top of the demo seed, the request
// posted over HTTP, the response compared canonically with placeholders (README "Fixtures").
import { compareResponses } from '../../src/tools/fixtures/compare';
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
    const { expected, actual } = compareResponses(c.response, res.body);
    expect(actual).toBe(expected);
    expect(String(res.resultCode)).toBe(/<ResultCode>(-?\d+)<\/ResultCode>/.exec(c.response)![1]);
  });
});
