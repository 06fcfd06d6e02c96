// Every fixture case through JSON (spec §8.4: "the same command gives the same ResultCode and the
// same data" on every transport): each step's ICQL payload is sent as the JSON a client would
// write for it to POST /api/v1/commands/<Command>_V<N>, and the JSON answer, written back as XML
// through the same schema, must equal the recorded ICQL answer's payload after the contract
// tests' canonicalisation and placeholders. Steps that are not one recognisable command with a
// payload JSON can express (not XML, several commands, unknown elements or text where fields
// belong; a list past its bound, which the XML reader stops reading: json.test.ts covers it) go to /acmp unchanged, so that later steps see the same data.
import { decode, normalize, render } from '../../src/protocol/codec';
import { readEnvelopes } from '../../src/protocol/envelope';
import type { FieldError } from '../../src/protocol/errors';
import { decodeJson } from '../../src/protocol/json-codec';
import { readXml } from '../../src/protocol/xml-reader';
import { XmlLines } from '../../src/protocol/xml-writer';
import { compareResponses } from '../../src/tools/fixtures/compare';
import path from 'path';
import { compileDefinition, createAjv, loadJsonSchemas } from '../../src/validation/validator';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, TestGateway, testRegistry } from '../support/gateway';

/** The JSON form of an ICQL request holding one command, or undefined when JSON cannot say the same. */
function toJson(request: string): { key: string; json: unknown } | undefined {
  try {
    const envelopes = readEnvelopes(readXml(request));
    if (envelopes.length !== 1) return undefined;
    const { command, version, payload } = envelopes[0];
    const registered = testRegistry().get(command, version);
    if (!registered) return { key: `${command}_V${version}`, json: {} };
    const errors: FieldError[] = [];
    const json = decode(payload ?? { name: '', attrs: {}, children: [], text: '' }, registered.request, '', errors);
    return errors.some((e) => /unknown element|more than once|not elements|unexpected text|items of this list|more than \d+ items/.test(e.message)) ? undefined : { key: registered.key, json };
  } catch {
    return undefined;
  }
}

const ajv = createAjv(loadJsonSchemas(path.join(testRegistry().schemaDir, 'json')));

/** Problems of a JSON answer against its response schema: the JSON types themselves (decimals as strings …). */
function schemaProblems(key: string, answer: unknown): string[] {
  const command = testRegistry().commands.get(key)!;
  const validate = compileDefinition(ajv, `/${key}.json`, `T${command.definition.name}Response_V${command.definition.version}`);
  return validate(answer) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** A JSON answer written as XML through the response schema, as the ICQL transport writes it. */
function asXmlPayload(key: string, answer: Record<string, unknown>): string {
  const command = testRegistry().commands.get(key)!;
  const errors: FieldError[] = [];
  const value = normalize(decodeJson(answer, command.response, '', errors), command.response, '', errors) as Record<string, unknown>;
  if (errors.length) throw new Error(`the JSON answer does not fit the response schema: ${JSON.stringify(errors)}`);
  const out = new XmlLines();
  if (command.response.kind === 'object') for (const [name, sub] of command.response.fields) render(out, 6, name, value[name], sub);
  return `<Payload>\n${out.lines.join('\n')}\n</Payload>`;
}

const RESPONSE = /<(T\w+Response_V\d+)\b[^>]*>([\s\S]*)<\/\1>/;
const payloadOf = (xml: string) => `<Payload>${RESPONSE.exec(xml)?.[2] ?? ''}</Payload>`;
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
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await gw.reset(...(c.seed ? [c.seed] : []));
    for (const step of c.steps) {
      const call = toJson(step.request);
      if (!call || step.response === undefined) {
        await gw.post(step.request);
        continue;
      }
      converted++;
      const res = await fetch(`${gw.url}/api/v1/commands/${call.key}`, { method: 'POST', body: JSON.stringify(call.json), headers: { 'Content-Type': 'application/json' } });
      const answer = (await res.json()) as Record<string, unknown>;
      const where = `${step.name} over JSON`;
      const expectedCode = Number(field(step.response, 'ResultCode'));
      expect({ where, header: res.headers.get('x-acmp-result-code'), ResultCode: answer.ResultCode }).toEqual({ where, header: String(expectedCode), ResultCode: expectedCode });
      if (/<Error\b/.test(step.response)) {
        // The generic Error envelope of ICQL: no such command version, a 404 in JSON with the same message.
        expect({ where, status: res.status, message: answer.ResultMessage }).toEqual({ where, status: 404, message: field(step.response, 'ResultMessage')?.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&') });
        continue;
      }
      expect({ where, status: res.status }).toEqual({ where, status: 200 });
      expect({ where, problems: schemaProblems(call.key, answer) }).toEqual({ where, problems: [] });
      const { expected, actual } = compareResponses(payloadOf(step.response), asXmlPayload(call.key, answer));
      expect(`${where}\n${actual}`).toBe(`${where}\n${expected}`);
    }
  });
});

test('most fixture steps have a JSON form (the filter above is not silently skipping everything)', () => {
  const steps = cases.reduce((n, c) => n + c.steps.length, 0);
  expect(converted).toBeGreaterThan(steps * 0.9);
});
