// Every fixture case through SOAP (docs/protocol.md §8.3: "the same command gives the same ResultCode and the
// same data" on every transport): each step's ICQL payload element moves into a SOAP Body (1.1
// and 1.2 by turns), and the SOAP answer's payload must equal the recorded ICQL answer's payload
// after the contract tests' canonicalisation and placeholders. A request the core answers with
// the generic Error envelope (unknown command or version) must get a fault carrying the same
// ResultCode and message. Steps that are not one recognisable ICQL command (not XML, DOCTYPE,
// wrong root, several commands, no payload, version attribute disagreeing) have no SOAP form:
// they go to /acmp unchanged, so that later steps see the same data.
import path from 'node:path';
import { compareResponses } from '../../src/fixtures/compare';
import {
  fieldOf as field,
  SOAP_MEDIA as MEDIA,
  payloadOf,
  toSoap,
  type SoapVersion as Version,
} from '../../src/fixtures/transports';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
let converted = 0;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});

const cases = listFixtureCases();
describe.each([...new Set(cases.map((c) => c.command))])('%s over SOAP', (command) => {
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))(
    '%s',
    async (_name, c) => {
      await gw.reset(...(c.seed ? [c.seed] : []));
      const version: Version = cases.indexOf(c) % 2 ? '1.2' : '1.1';
      for (const step of c.steps) {
        const soap = toSoap(step.request, version);
        if (!soap) {
          await gw.post(step.request);
          continue;
        }
        if (step.response === undefined)
          throw new Error(
            `${path.relative(c.dir, step.responseFile)} is not recorded yet: run test/contract first`,
          );
        converted++;
        const res = await fetch(`${gw.url}/soap`, {
          method: 'POST',
          body: soap.body,
          headers: soap.headers,
        });
        const text = await res.text();
        const where = `${step.name} over SOAP ${version}`;
        const expectedCode = field(step.response, 'ResultCode');
        expect({
          where,
          resultCode: res.headers.get('x-acmp-result-code'),
          type: res.headers.get('content-type'),
        }).toEqual({
          where,
          resultCode: expectedCode,
          type: `${MEDIA[version]}; charset=utf-8`,
        });
        if (/<Error\b/.test(step.response)) {
          // The generic Error envelope of ICQL is a fault in SOAP: same ResultCode, same message.
          expect({ where, status: res.status, message: field(text, 'ResultMessage') }).toEqual({
            where,
            status: version === '1.1' ? 500 : 400,
            message: field(step.response, 'ResultMessage'),
          });
          continue;
        }
        expect({ where, status: res.status }).toEqual({ where, status: 200 });
        const { expected, actual } = compareResponses(payloadOf(step.response), payloadOf(text));
        expect(`${where}\n${actual}`).toBe(`${where}\n${expected}`);
      }
    },
  );
});

test('most fixture steps have a SOAP form (the filter above is not silently skipping everything)', () => {
  const steps = cases.reduce((n, c) => n + c.steps.length, 0);
  expect(converted).toBeGreaterThan(steps * 0.9);
});
