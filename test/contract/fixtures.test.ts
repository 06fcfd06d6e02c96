// One generated test per fixture folder: the case's seed on top of the demo seed, then each step's
// request posted over HTTP in order and its response compared canonically with placeholders
// (docs/qa.md, "Fixtures"). A step without a response file is recorded on a local run (review it
// before committing) and fails under CI=true.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareResponses, withPlaceholders } from '../../src/fixtures/compare';
import { freshPlaceholders } from '../../src/fixtures/fresh-values';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});

const cases = listFixtureCases();
describe.each([...new Set(cases.map((c) => c.command))])('%s', (command) => {
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      await gw.reset(...(c.seed ? [c.seed] : []));
      // `{{int:<name>}}` values (ticket numbers) bound so far, and the numbers a recording writes back (fresh-values.ts).
      const bindings = new Map<string, string>();
      const numbers = new Map<string, string>();
      for (const step of c.steps) {
        const res = await gw.post(step.request);
        const where = c.steps.length > 1 ? ` (step ${step.name})` : '';
        expect({ step: step.name, status: res.status }).toEqual({ step: step.name, status: 200 });
        const recording = freshPlaceholders(withPlaceholders(res.body), c.freshIds, numbers);
        if (step.response === undefined) {
          if (process.env.CI)
            throw new Error(
              `${path.relative(c.dir, step.responseFile)} is missing in ${c.dir}; record it with a local run and review it`,
            );
          writeFileSync(step.responseFile, `${recording}\n`);
          continue;
        }
        const { expected, actual } = compareResponses(step.response, res.body, bindings);
        expect(`${where}\n${actual}`).toBe(`${where}\n${expected}`);
        expect(String(res.resultCode)).toBe(
          /<ResultCode>(-?\d+)<\/ResultCode>/.exec(step.response)![1],
        );
      }
    },
  );
});
