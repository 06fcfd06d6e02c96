// SOAP faults (docs/protocol.md §8.3): only for what is not a command answer, always in the request's SOAP
// version (namespace, Content-Type, fault code, HTTP status), the ResultCode in the detail. And
// the WSDL: generated from the registry, served at GET /soap?wsdl with the request's own address.
import http from 'node:http';
import { faultOf, writeFault } from '../../src/transports/soap/faults';
import { startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

type Version = '1.1' | '1.2';
const VERSIONS: Version[] = ['1.1', '1.2'];
const ENV = {
  '1.1': 'http://schemas.xmlsoap.org/soap/envelope/',
  '1.2': 'http://www.w3.org/2003/05/soap-envelope',
};
const MEDIA = { '1.1': 'text/xml', '1.2': 'application/soap+xml' };
// SOAP 1.1 answers every fault with 500; SOAP 1.2 answers Sender with 400 (docs/protocol.md §8.3).
const CLIENT = { '1.1': 'Client', '1.2': 'Sender' };
const statusOf = (version: Version, code: string) =>
  version === '1.2' && code === 'Sender' ? 400 : 500;

const TICKET = '{5A000000-0000-4000-8000-00000000F001}';
const getTicket = `<a:TGetTicketRequest_V5><a:TicketId>${TICKET}</a:TicketId></a:TGetTicketRequest_V5>`;
const envelope = (version: Version, body = getTicket, header = '', ns = ENV[version]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<s:Envelope xmlns:s="${ns}" xmlns:a="http://acmp.com/soap">` +
  `${header ? `<s:Header>${header}</s:Header>` : ''}<s:Body>${body}</s:Body></s:Envelope>`;
const xmlType = (version: Version) => ({ 'Content-Type': `${MEDIA[version]}; charset=utf-8` });

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.reset();
});
afterAll(async () => {
  await gw.stop();
});

async function post(body: string | Uint8Array, headers: Record<string, string>) {
  const res = await fetch(`${gw.url}/soap`, { method: 'POST', body, headers });
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    resultCode: res.headers.get('x-acmp-result-code'),
    text: await res.text(),
  };
}

/** Checks a fault independently of how the gateway writes it: any prefix, the parts SOAP defines. */
function expectFault(
  res: Awaited<ReturnType<typeof post>>,
  version: Version,
  code: string,
  message: RegExp,
  resultCode = 35,
) {
  const root = /<(\w+):Envelope xmlns:\1="([^"]+)"/.exec(res.text);
  const prefix = root?.[1];
  const faultCode =
    version === '1.1'
      ? new RegExp(`<faultcode>${prefix}:(\\w+)</faultcode>`)
      : new RegExp(`<${prefix}:Value>${prefix}:(\\w+)</${prefix}:Value>`);
  const reason =
    version === '1.1'
      ? /<faultstring>([^<]*)<\/faultstring>/
      : /<\w+:Text xml:lang="en">([^<]*)<\/\w+:Text>/;
  expect({
    status: res.status,
    contentType: res.contentType,
    envelope: root?.[2],
    code: faultCode.exec(res.text)?.[1],
    detail: /<ResultCode xmlns="http:\/\/acmp.com\/soap">(-?\d+)<\/ResultCode>/.exec(res.text)?.[1],
    header: res.resultCode,
  }).toEqual({
    status: statusOf(version, code),
    contentType: `${MEDIA[version]}; charset=utf-8`,
    envelope: ENV[version],
    code,
    detail: String(resultCode),
    header: String(resultCode),
  });
  const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  expect(reason.exec(res.text)?.[1]?.replace(/&(\w+);/g, (_m, e: string) => entities[e])).toMatch(
    message,
  );
  expect(res.text).not.toMatch(/at .*\.ts:\d+/); // no stack trace
}

describe.each(VERSIONS)('SOAP %s faults', (version) => {
  const client = CLIENT[version];
  const other: Version = version === '1.1' ? '1.2' : '1.1';

  test('malformed XML, and a well-formed document that is no envelope', async () => {
    expectFault(
      await post(envelope(version).replace('</s:Body>', ''), xmlType(version)),
      version,
      client,
      /^Malformed XML at line 2/,
    );
    expectFault(
      await post(
        `<s:Envelope xmlns:s="${ENV[version]}"><s:Header/></s:Envelope>`,
        xmlType(version),
      ),
      version,
      client,
      /^Malformed SOAP envelope/,
    );
    expectFault(
      await post(
        envelope(version).replace('<s:Body>', '<s:Body><s:Body/></s:Body><s:Body>'),
        xmlType(version),
      ),
      version,
      client,
      /^Malformed SOAP envelope/,
    );
  });

  test('a DOCTYPE is refused before anything is parsed', async () => {
    const body = envelope(version).replace(
      '\n',
      '\n<!DOCTYPE s:Envelope [<!ENTITY boom "boom">]>\n',
    );
    expectFault(
      await post(body, xmlType(version)),
      version,
      client,
      /DOCTYPE or ENTITY declaration is not allowed/,
    );
  });

  test('unknown operation: an unknown command or version, or a Body that holds no request element', async () => {
    expectFault(
      await post(envelope(version, '<a:TNoSuchThingRequest_V1/>'), xmlType(version)),
      version,
      client,
      /Unknown command NoSuchThing/,
    );
    expectFault(
      await post(envelope(version, '<a:TGetTicketRequest_V99/>'), xmlType(version)),
      version,
      client,
      /GetTicket has no version 99; this gateway serves version/,
    );
    expectFault(
      await post(envelope(version, '<a:Hello/>'), xmlType(version)),
      version,
      client,
      /must hold one T<Command>Request_V<N> element.*found <Hello>/,
    );
    expectFault(
      await post(envelope(version, `${getTicket}${getTicket}`), xmlType(version)),
      version,
      client,
      /must hold one/,
    );
  });

  test('the action the client names must be the Body operation', async () => {
    const mismatch =
      version === '1.1'
        ? { ...xmlType(version), SOAPAction: '"SaveTicket_V4"' }
        : { 'Content-Type': 'application/soap+xml; charset=utf-8; action="SaveTicket_V4"' };
    expectFault(
      await post(envelope(version), mismatch),
      version,
      client,
      /names "SaveTicket_V4", but the Body holds the operation GetTicket_V5/,
    );
    // Naming the right operation, or none, is a command answer (30: no such ticket), HTTP 200.
    const agree =
      version === '1.1'
        ? { ...xmlType(version), SOAPAction: '"GetTicket_V5"' }
        : { 'Content-Type': 'application/soap+xml;action=GetTicket_V5' };
    const none = version === '1.1' ? { ...xmlType(version), SOAPAction: '""' } : xmlType(version);
    for (const headers of [agree, none]) {
      const res = await post(envelope(version), headers);
      expect([res.status, res.resultCode]).toEqual([200, '30']);
      expect(res.text).toContain(`<TGetTicketResponse_V5 xmlns="http://acmp.com/soap"`);
    }
  });

  test('a mustUnderstand header other than SessionId is a MustUnderstand fault; SessionId is understood', async () => {
    const must = version === '1.1' ? '1' : 'true';
    const tracking = `<x:Tracking xmlns:x="urn:other" s:mustUnderstand="${must}">42</x:Tracking>`;
    expectFault(
      await post(envelope(version, getTicket, tracking), xmlType(version)),
      version,
      'MustUnderstand',
      /<Tracking> is marked mustUnderstand/,
    );
    // Not marked, or addressed to another node: ignored.
    const ignored = `<x:Tracking xmlns:x="urn:other">42</x:Tracking><x:Relay xmlns:x="urn:other" s:mustUnderstand="${must}" s:${version === '1.1' ? 'actor' : 'role'}="urn:some-other-node">1</x:Relay>`;
    const session = `<a:SessionId s:mustUnderstand="${must}">{5E550000-0000-4000-8000-0000000F0001}</a:SessionId>`;
    for (const header of [ignored, session]) {
      const res = await post(envelope(version, getTicket, header), xmlType(version));
      expect([res.status, res.resultCode]).toEqual([200, header === session ? '7' : '30']); // an unknown session is 7, as on /acmp
    }
  });

  test(`wrong media type: a SOAP ${version} envelope sent as ${MEDIA[other]}, as JSON, or not in UTF-8`, async () => {
    const escaped = (text: string) => new RegExp(text.replace(/[.+/]/g, '\\$&'));
    expectFault(
      await post(envelope(version), xmlType(other)),
      version,
      client,
      escaped(`SOAP ${version} envelope is sent as ${MEDIA[version]}, not ${MEDIA[other]}`),
    );
    expectFault(
      await post(envelope(version), { 'Content-Type': 'application/json' }),
      version,
      client,
      /not application\/json/,
    );
    expectFault(
      await post(envelope(version), { 'Content-Type': `${MEDIA[version]}; charset=iso-8859-1` }),
      version,
      client,
      /must be UTF-8, not iso-8859-1/,
    );
    const latin1 = Buffer.concat([
      Buffer.from(envelope(version).replace('</a:TicketId>', '')),
      Buffer.from([0xe9]),
      Buffer.from('</a:TicketId></a:TGetTicketRequest_V5></s:Body></s:Envelope>'),
    ]);
    expectFault(
      await post(latin1, xmlType(version)),
      version,
      client,
      /not valid UTF-8 at byte offset/,
    );
  });

  test('an envelope in neither SOAP namespace is a VersionMismatch, answered in the version the Content-Type names', async () => {
    const res = await post(envelope(version, getTicket, '', 'urn:soap-3000'), xmlType(version));
    expectFault(res, version, 'VersionMismatch', /namespace urn:soap-3000 is neither SOAP 1.1/);
    if (version === '1.2') expect(res.text).toMatch(/<\w+:Upgrade>[\s\S]*qname="\w+:Envelope"/);
  });

  test('a body that cannot be read at all gets a fault in the version its Content-Type names', async () => {
    expectFault(await post('hello', xmlType(version)), version, client, /not XML/);
    expectFault(
      await post(Buffer.alloc(9 * 1024 * 1024, 0x20), xmlType(version)),
      version,
      client,
      /larger than the limit of 8mb/,
    );
  });

  test('a command that fails is an answer, not a fault: HTTP 200 with its ResultCode', async () => {
    const res = await post(
      envelope(
        version,
        '<a:TSaveTicketRequest_V4><a:Ticket><a:Id>nope</a:Id></a:Ticket></a:TSaveTicketRequest_V4>',
      ),
      xmlType(version),
    );
    expect([res.status, res.contentType, res.resultCode]).toEqual([
      200,
      `${MEDIA[version]}; charset=utf-8`,
      '35',
    ]);
    expect(res.text).toContain(`xmlns:soap="${ENV[version]}"`);
    expect(res.text).toMatch(
      /<ResultCode>35<\/ResultCode>\s*<ResultMessage>1 error: Ticket\/Id: not a GUID<\/ResultMessage>/,
    );
  });
});

test('an internal failure is a Server / Receiver fault with 18 and a reference, never the error itself', () => {
  const logged: unknown[] = [];
  const fault = faultOf(new Error('secret detail of a bug'), (m, e) => logged.push(m, e));
  expect([fault.kind, fault.resultCode]).toEqual(['server', 18]);
  for (const version of VERSIONS) {
    const { status, xml } = writeFault(fault, version);
    expect(status).toBe(500);
    expect(xml).toContain(
      version === '1.1'
        ? '<faultcode>env:Server</faultcode>'
        : '<env:Value>env:Receiver</env:Value>',
    );
    expect(xml).toMatch(
      /Internal error; the gateway log has the details under reference [0-9a-f-]{36}/,
    );
    expect(xml).not.toContain('secret');
  }
  expect(logged.some((e) => e instanceof Error && e.message === 'secret detail of a bug')).toBe(
    true,
  );
});

test('other methods on /soap get 405 with a fault', async () => {
  const res = await fetch(`${gw.url}/soap`, { method: 'PUT', body: 'x', headers: xmlType('1.2') });
  expect([res.status, res.headers.get('allow'), res.headers.get('content-type')]).toEqual([
    405,
    'GET, POST',
    'application/soap+xml; charset=utf-8',
  ]);
  expect(await res.text()).toContain('the WSDL is at GET /soap?wsdl');
});

describe('the WSDL', () => {
  test.each(['wsdl', 'WSDL'])(
    'GET /soap?%s: one operation per registry command version in both bindings, addressed at the URL the client used',
    async (query) => {
      // fetch may not set Host: a plain http.get, as a client behind a proxy or a DNS name would reach it.
      const res = await new Promise<{ status?: number; type?: string; body: string }>(
        (resolve, reject) =>
          http
            .get(`${gw.url}/soap?${query}`, { headers: { Host: 'gateway.example:8443' } }, (r) => {
              let body = '';
              r.setEncoding('utf8')
                .on('data', (c) => (body += c))
                .on('end', () =>
                  resolve({ status: r.statusCode, type: r.headers['content-type'], body }),
                );
            })
            .on('error', reject),
      );
      expect([res.status, res.type]).toEqual([200, 'text/xml; charset=utf-8']);
      const wsdl = res.body;
      const keys = [...testRegistry().commands.keys()].sort();
      const operations = (from: string) =>
        [...from.matchAll(/<wsdl:operation name="(\w+)">/g)].map((m) => m[1]);
      const portType = wsdl.slice(wsdl.indexOf('<wsdl:portType'), wsdl.indexOf('</wsdl:portType>'));
      expect(operations(portType).sort()).toEqual(keys);
      expect(operations(wsdl)).toHaveLength(keys.length * 3); // portType + the SOAP 1.1 and 1.2 bindings
      expect(wsdl).toContain('<soap:operation soapAction="SaveTicket_V4" style="document"/>');
      expect(wsdl).toContain('<soap12:operation soapAction="SaveTicket_V4" style="document"/>');
      expect(wsdl).toContain('<wsdl:part name="parameters" element="tns:TSaveTicketRequest_V4"/>');
      expect(wsdl).toContain('<wsdl:part name="parameters" element="tns:TSaveTicketResponse_V4"/>');
      expect(wsdl).toMatch(
        /<xs:schema targetNamespace="http:\/\/acmp.com\/soap" elementFormDefault="qualified" xmlns="http:\/\/acmp.com\/soap">/,
      );
      expect(wsdl).toContain('<xs:element name="SessionId" type="xs:string"/>');
      expect(
        wsdl.match(/:header message="tns:SessionIdHeader" part="SessionId" use="literal"\/>/g),
      ).toHaveLength(keys.length * 2);
      expect(wsdl).toContain('<soap:address location="http://gateway.example:8443/soap"/>');
      expect(wsdl).toContain('<soap12:address location="http://gateway.example:8443/soap"/>');
    },
  );

  test('its types are the XSD files, each type defined once', async () => {
    const wsdl = await (await fetch(`${gw.url}/soap?wsdl`)).text();
    for (const type of [
      'Guid',
      'TTicket_V4',
      'TTicket_V5',
      'TTicketCost_V1',
      'ArrayOfTTicketCost_V1',
    ]) {
      expect(wsdl.match(new RegExp(`<xs:(complex|simple)Type name="${type}">`, 'g'))).toHaveLength(
        1,
      );
    }
    expect(wsdl).toContain('<!-- from xsd/SaveTicket_V4.xsd -->');
  });
});
