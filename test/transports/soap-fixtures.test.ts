// Every fixture case through SOAP (spec §8.3: "the same command gives the same ResultCode and the
// same data" on every transport): each step's ICQL payload element moves into a SOAP Body (1.1
// and 1.2 by turns), and the SOAP answer's payload must equal the recorded ICQL answer's payload
// after the contract tests' canonicalisation and placeholders. A request the core answers with
// the generic Error envelope (unknown command or version) must get a fault carrying the same
// ResultCode and message. Steps that are not one recognisable ICQL command (not XML, DOCTYPE,
// wrong root, several commands, no payload, version attribute disagreeing) have no SOAP form:
// they go to /acmp unchanged, so that later steps see the same data.
import path from 'path';
import { compareResponses } from '../../src/tools/fixtures/compare';
import { readEnvelopes } from '../../src/protocol/envelope';
import { readXml } from '../../src/protocol/xml-reader';
import { listFixtureCases } from '../support/fixtures';
import { startTestGateway, TestGateway } from '../support/gateway';

type Version = '1.1' | '1.2';
const ENV = { '1.1': 'http://schemas.xmlsoap.org/soap/envelope/', '1.2': 'http://www.w3.org/2003/05/soap-envelope' };
const MEDIA = { '1.1': 'text/xml', '1.2': 'application/soap+xml' };

const PAYLOAD = /<((?:[\w.-]+:)?T(\w+)Request_V(\d+))\b[^>]*?(?:\/>|>[\s\S]*<\/\1\s*>)/;
const RESPONSE = /<((?:[\w.-]+:)?T\w+Response_V\d+)\b[^>]*>([\s\S]*)<\/\1>|<T\w+Response_V\d+\b[^>]*\/>/;

/** The SOAP form of an ICQL request holding one recognisable command; undefined when it has none. */
function toSoap(request: string, version: Version): { body: string; operation: string } | undefined {
  try {
    const envelopes = readEnvelopes(readXml(request));
    if (envelopes.length !== 1 || !envelopes[0].payload) return undefined;
  } catch {
    return undefined;
  }
  const payload = PAYLOAD.exec(request);
  if (!payload) return undefined;
  // The payload's prefixes (xsi, or an ICQL prefix) are declared on the ICQL root: carry them over.
  const root = /<(?:[\w.-]+:)?ICQL\b([^>]*)>/.exec(request)?.[1] ?? '';
  const prefixes = [...root.matchAll(/\sxmlns:[\w.-]+\s*=\s*("[^"]*"|'[^']*')/g)].map((m) => m[0]).join('');
  const body =
    `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="${ENV[version]}" xmlns="http://acmp.com/soap">\n` +
    `  <soap:Body${prefixes}>\n${payload[0]}\n  </soap:Body>\n</soap:Envelope>`;
  return { body, operation: `${payload[2]}_V${payload[3]}` };
}

/** The payload element's content, the element itself renamed so that only its fields compare. */
function payloadOf(xml: string): string {
  const m = RESPONSE.exec(xml);
  if (!m) throw new Error(`no response payload element in:\n${xml}`);
  return `<Payload>${m[2] ?? ''}</Payload>`;
}

const field = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}(?: [^>]*)?>([^<]*)</`).exec(xml)?.[1];

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
  test.each(cases.filter((c) => c.command === command).map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    await gw.reset(...(c.seed ? [c.seed] : []));
    const version: Version = cases.indexOf(c) % 2 ? '1.2' : '1.1';
    for (const step of c.steps) {
      const soap = toSoap(step.request, version);
      if (!soap) {
        await gw.post(step.request);
        continue;
      }
      if (step.response === undefined) throw new Error(`${path.relative(c.dir, step.responseFile)} is not recorded yet: run test/contract first`);
      converted++;
      const headers: Record<string, string> =
        version === '1.1' ? { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${soap.operation}"` } : { 'Content-Type': `application/soap+xml; charset=utf-8; action="${soap.operation}"` };
      const res = await fetch(`${gw.url}/soap`, { method: 'POST', body: soap.body, headers });
      const text = await res.text();
      const where = `${step.name} over SOAP ${version}`;
      const expectedCode = field(step.response, 'ResultCode');
      expect({ where, resultCode: res.headers.get('x-acmp-result-code'), type: res.headers.get('content-type') }).toEqual({
        where,
        resultCode: expectedCode,
        type: `${MEDIA[version]}; charset=utf-8`,
      });
      if (/<Error\b/.test(step.response)) {
        // The generic Error envelope of ICQL is a fault in SOAP: same ResultCode, same message.
        expect({ where, status: res.status, message: field(text, 'ResultMessage') }).toEqual({ where, status: version === '1.1' ? 500 : 400, message: field(step.response, 'ResultMessage') });
        continue;
      }
      expect({ where, status: res.status }).toEqual({ where, status: 200 });
      const { expected, actual } = compareResponses(payloadOf(step.response), payloadOf(text));
      expect(`${where}\n${actual}`).toBe(`${where}\n${expected}`);
    }
  });
});

test('most fixture steps have a SOAP form (the filter above is not silently skipping everything)', () => {
  const steps = cases.reduce((n, c) => n + c.steps.length, 0);
  expect(converted).toBeGreaterThan(steps * 0.9);
});
