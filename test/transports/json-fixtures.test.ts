// Every fixture case through JSON (docs/protocol.md §8.4: "the same command gives the same ResultCode and the
// same data" on every transport): each step's ICQL payload is sent as the JSON a client would
// write for it to POST /api/v1/commands/<Command>_V<N>, and the JSON answer, written back as XML
// through the same schema, must equal the recorded ICQL answer's payload after the contract
// tests' canonicalisation and placeholders. Steps that are not one recognisable command with a
// payload JSON can express (not XML, several commands, unknown elements or text where fields
// belong; a list past its bound, which the XML reader stops reading: json.test.ts covers it) go to /acmp unchanged, so that later steps see the same data.
import path from 'node:path';
import { compareResponses } from '../../src/fixtures/compare';
import { jsonAsXmlPayload as asXmlPayload, payloadOf, toJson } from '../../src/fixtures/transports';
import { compileDefinition, createAjv, loadJsonSchemas } from '../../src/validation/validator';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

const ajv = createAjv(loadJsonSchemas(path.join(testRegistry().schemaDir, 'json')));

/** Problems of a JSON answer against its response schema: the JSON types themselves (decimals as strings …). */
function schemaProblems(key: string, answer: unknown): string[] {
  const command = testRegistry().commands.get(key)!;
  const validate = compileDefinition(
    ajv,
    `/${key}.json`,
    `T${command.definition.name}Response_V${command.definition.version}`,
  );
  return validate(answer)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

const field = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</`).exec(xml)?.[1];

let gw: TestGateway;
let converted = 0;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});

const cases = listFixtureCases();
describe.each([...new Set(cases.map((c) => c.command))])('%s over JSON', (command) => {
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      await gw.reset(...(c.seed ? [c.seed] : []));
      for (const step of c.steps) {
        const call = toJson(step.request);
        if (!call || step.response === undefined) {
          await gw.post(step.request);
          continue;
        }
        converted++;
        const res = await fetch(`${gw.url}/api/v1/commands/${call.key}`, {
          method: 'POST',
          body: JSON.stringify(call.json),
          headers: { 'Content-Type': 'application/json' },
        });
        const answer = (await res.json()) as Record<string, unknown>;
        const where = `${step.name} over JSON`;
        const expectedCode = Number(field(step.response, 'ResultCode'));
        expect({
          where,
          header: res.headers.get('x-acmp-result-code'),
          ResultCode: answer.ResultCode,
        }).toEqual({ where, header: String(expectedCode), ResultCode: expectedCode });
        if (/<Error\b/.test(step.response)) {
          // The generic Error envelope of ICQL: no such command version, a 404 in JSON with the same message.
          expect({ where, status: res.status, message: answer.ResultMessage }).toEqual({
            where,
            status: 404,
            message: field(step.response, 'ResultMessage')
              ?.replace(/&lt;/g, '<')
              .replace(/&gt;/g, '>')
              .replace(/&amp;/g, '&'),
          });
          continue;
        }
        expect({ where, status: res.status }).toEqual({ where, status: 200 });
        expect({ where, problems: schemaProblems(call.key, answer) }).toEqual({
          where,
          problems: [],
        });
        const { expected, actual } = compareResponses(
          payloadOf(step.response),
          asXmlPayload(call.key, answer),
        );
        expect(`${where}\n${actual}`).toBe(`${where}\n${expected}`);
      }
    },
  );
});

test('most fixture steps have a JSON form (the filter above is not silently skipping everything)', () => {
  const steps = cases.reduce((n, c) => n + c.steps.length, 0);
  expect(converted).toBeGreaterThan(steps * 0.9);
});
