// Every fixture request is judged the same way by libxml2 (xmllint-wasm) against the XSD and by
// the gateway's own pipeline (decode + Ajv against the derived JSON Schema).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { decode } from '../../src/protocol/codec';
import { readEnvelope } from '../../src/protocol/envelope';
import { readXml, type XmlElement } from '../../src/protocol/xml-reader';
import { escapeAttr, escapeText } from '../../src/protocol/xml-writer';
import { XSD_DIR } from '../../src/tools/build-schemas';
import type { FieldError } from '../../src/vocabulary/errors';
import { listFixtureCases } from '../support/fixtures';
import { testRegistry } from '../support/gateway';

const registry = testRegistry();
const preload = readdirSync(path.join(XSD_DIR, 'types')).map((f) => ({
  fileName: `types/${f}`,
  contents: readFileSync(path.join(XSD_DIR, 'types', f), 'utf8'),
}));

/** The payload re-serialized without namespaces, as the XSDs (no targetNamespace) expect. */
function payloadXml(el: XmlElement, root = true): string {
  const attrs = Object.entries(el.attrs)
    .filter(([k]) => k !== 'xmlns' && !k.startsWith('xmlns:') && k !== 'xsi')
    .map(([k, v]) => ` ${k === 'type' ? 'xsi:type' : k}="${escapeAttr(v)}"`)
    .join('');
  const ns = root ? ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' : '';
  const inner = el.children.length
    ? el.children.map((c) => payloadXml(c, false)).join('')
    : escapeText(el.text);
  return `<${el.name}${ns}${attrs}>${inner}</${el.name}>`;
}

// Cases whose request reaches schema validation (a known command with a payload).
const cases = listFixtureCases().flatMap((c) =>
  c.steps.flatMap((step) => {
    try {
      const env = readEnvelope(readXml(step.request));
      const command = registry.get(env.command, env.version);
      return command && env.payload
        ? [
            {
              id:
                c.steps.length > 1
                  ? `${c.command}/${c.name}/${step.name}`
                  : `${c.command}/${c.name}`,
              command,
              payload: env.payload,
            },
          ]
        : [];
    } catch {
      return []; // malformed or unrecognised: refused before any schema is consulted
    }
  }),
);

test('there are fixture requests to compare', () => {
  expect(cases.length).toBeGreaterThan(5);
});

test.each(cases.map((x) => [x.id, x] as const))(
  '%s: libxml2 and Ajv agree',
  async (_n, { command, payload }) => {
    const xsdFile = `${command.key}.xsd`;
    const lint = await validateXML({
      xml: { fileName: 'request.xml', contents: payloadXml(payload) },
      schema: { fileName: xsdFile, contents: readFileSync(path.join(XSD_DIR, xsdFile), 'utf8') },
      preload,
    });
    const errors: FieldError[] = [];
    const raw = decode(payload, command.request, '', errors);
    const ajvValid = errors.length === 0 && command.validate(raw) === true;
    expect({ ajvValid, libxml2: lint.valid ? 'valid' : lint.errors.map((e) => e.message) }).toEqual(
      {
        ajvValid: lint.valid,
        libxml2: lint.valid ? 'valid' : expect.anything(),
      },
    );
  },
);

// Requests the XML reader refuses before any schema is consulted: libxml2 refuses them as well.
test.each([
  ['a raw NUL', '<TGetTicketRequest_V5><TicketId>a\u0000</TicketId></TGetTicketRequest_V5>'],
  ['a raw C0 control', '<TGetTicketRequest_V5><TicketId>a\u0001</TicketId></TGetTicketRequest_V5>'],
  ['a raw U+FFFE', '<TGetTicketRequest_V5><TicketId>a\uFFFE</TicketId></TGetTicketRequest_V5>'],
])('%s: libxml2 refuses it too', async (_n, xml) => {
  expect(() => readXml(xml)).toThrow('is not allowed in XML');
  const lint = await validateXML({
    xml: { fileName: 'request.xml', contents: xml },
    schema: {
      fileName: 'GetTicket_V5.xsd',
      contents: readFileSync(path.join(XSD_DIR, 'GetTicket_V5.xsd'), 'utf8'),
    },
    preload,
  });
  expect(lint.errors.map((e) => e.message).join('\n')).toMatch(
    /invalid Char value|out of allowed range/,
  );
});
