// The WSDL 1.1 of GET /soap?wsdl (docs/protocol.md §8.3), generated once at start from the registry and the
// same XSD files that validate requests: nothing about a command is written here by hand.
import path from 'node:path';
import { create } from 'xmlbuilder2';
import type { Registry } from '../../commands/registry';
import { mergedXsdDefinitions } from '../../commands/wire/xsd-text';
import { SESSION_HEADER_ELEMENT } from '../../identity/sessions';
import { payloadName } from '../../protocol/envelope';
import { escapeAttr } from '../../protocol/xml-writer';

/** Target namespace of the WSDL and of the payload elements in SOAP bodies (docs/protocol.md §8.3). */
export const SOAP_TNS = 'http://acmp.com/soap';
export const SERVICE = 'AcmpService';
export const SOAP11_PORT = 'AcmpSoap11';
export const SOAP12_PORT = 'AcmpSoap12';

const WSDL = 'http://schemas.xmlsoap.org/wsdl/';
const WSDL_SOAP11 = 'http://schemas.xmlsoap.org/wsdl/soap/';
const WSDL_SOAP12 = 'http://schemas.xmlsoap.org/wsdl/soap12/';
const XS = 'http://www.w3.org/2001/XMLSchema';
const HTTP_TRANSPORT = 'http://schemas.xmlsoap.org/soap/http';
// Stands for the service address, which is the request's own base URL: the document is built
// once and the address put in per request.
const ADDRESS = 'urn:acmp-gateway:address';

// Built once per registry (a few hundred ms of xmlbuilder2): apps sharing one registry share it.
const built = new WeakMap<Registry, string>();

/** Returns the WSDL for a service address; the document itself is built once, here. */
export function wsdlWriter(registry: Registry): (address: string) => string {
  let text = built.get(registry);
  if (text === undefined) {
    text = buildWsdl(registry);
    built.set(registry, text);
  }
  const parts = text.split(ADDRESS);
  return (address) => parts.join(escapeAttr(address));
}

function buildWsdl(registry: Registry): string {
  const commands = [...registry.commands.values()].sort((a, b) => a.key.localeCompare(b.key));
  const doc = create({ version: '1.0', encoding: 'UTF-8' });
  const defs = doc.ele(WSDL, 'wsdl:definitions', { name: SERVICE, targetNamespace: SOAP_TNS });
  for (const [prefix, ns] of [
    ['wsdl', WSDL],
    ['soap', WSDL_SOAP11],
    ['soap12', WSDL_SOAP12],
    ['xs', XS],
    ['tns', SOAP_TNS],
  ]) {
    defs.att('http://www.w3.org/2000/xmlns/', `xmlns:${prefix}`, ns);
  }

  // The XSD definitions move into the target namespace (a chameleon include): unprefixed type
  // references ("Guid", "TTicket_V4") resolve through the default namespace. Qualified local
  // elements: toolkits then send every payload element in SOAP_TNS, which the server reads by
  // local name, and the server's answers (children in the default namespace) match the schema.
  const xsd = mergedXsdDefinitions(
    path.join(registry.schemaDir, 'xsd'),
    commands.map((c) => c.key),
  );
  const schema = create(
    `<xs:schema xmlns:xs="${XS}" targetNamespace="${SOAP_TNS}" elementFormDefault="qualified">` +
      `${xsd}<xs:element name="${SESSION_HEADER_ELEMENT}" type="xs:string"/></xs:schema>`,
  );
  // Declared after the import: xmlbuilder2's parser would put xs:-prefixed elements in a default
  // namespace declared in the text.
  defs
    .ele(WSDL, 'wsdl:types')
    .import(schema)
    .first()
    .att('http://www.w3.org/2000/xmlns/', 'xmlns', SOAP_TNS);

  const header = `${SESSION_HEADER_ELEMENT}Header`;
  defs.ele(WSDL, 'wsdl:message', { name: header }).ele(WSDL, 'wsdl:part', {
    name: SESSION_HEADER_ELEMENT,
    element: `tns:${SESSION_HEADER_ELEMENT}`,
  });
  for (const c of commands) {
    for (const direction of ['Request', 'Response'] as const) {
      defs.ele(WSDL, 'wsdl:message', { name: `${c.key}_${direction}` }).ele(WSDL, 'wsdl:part', {
        name: 'parameters',
        element: `tns:${payloadName(c.definition.name, c.definition.version, direction)}`,
      });
    }
  }

  const portType = defs.ele(WSDL, 'wsdl:portType', { name: 'AcmpPortType' });
  for (const c of commands) {
    const op = portType.ele(WSDL, 'wsdl:operation', { name: c.key });
    op.ele(WSDL, 'wsdl:input', { message: `tns:${c.key}_Request` });
    op.ele(WSDL, 'wsdl:output', { message: `tns:${c.key}_Response` });
  }

  const bindings = [
    { name: 'AcmpSoap11Binding', port: SOAP11_PORT, ns: WSDL_SOAP11, prefix: 'soap' },
    { name: 'AcmpSoap12Binding', port: SOAP12_PORT, ns: WSDL_SOAP12, prefix: 'soap12' },
  ];
  for (const b of bindings) {
    const binding = defs.ele(WSDL, 'wsdl:binding', { name: b.name, type: 'tns:AcmpPortType' });
    binding.ele(b.ns, `${b.prefix}:binding`, { style: 'document', transport: HTTP_TRANSPORT });
    for (const c of commands) {
      const op = binding.ele(WSDL, 'wsdl:operation', { name: c.key });
      // 1.1: the SOAPAction header; 1.2: the action parameter of the Content-Type.
      op.ele(b.ns, `${b.prefix}:operation`, { soapAction: c.key, style: 'document' });
      const input = op.ele(WSDL, 'wsdl:input');
      input.ele(b.ns, `${b.prefix}:body`, { use: 'literal' });
      input.ele(b.ns, `${b.prefix}:header`, {
        message: `tns:${header}`,
        part: SESSION_HEADER_ELEMENT,
        use: 'literal',
      });
      op.ele(WSDL, 'wsdl:output').ele(b.ns, `${b.prefix}:body`, { use: 'literal' });
    }
  }

  const service = defs.ele(WSDL, 'wsdl:service', { name: SERVICE });
  for (const b of bindings) {
    service
      .ele(WSDL, 'wsdl:port', { name: b.port, binding: `tns:${b.name}` })
      .ele(b.ns, `${b.prefix}:address`, { location: ADDRESS });
  }
  return doc.end({ prettyPrint: true });
}
