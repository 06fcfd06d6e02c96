// GET /openapi.json: an OpenAPI 3.1 document generated from the registry and the same JSON Schemas
// Ajv validates with (docs/protocol.md §8.4). Nothing about a command is written here: paths come from the
// registry, schemas from schemas/json/, examples from each command's first success fixture.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Registry } from '../../commands/registry';
import { PROJECT_ROOT } from '../../config';
import { FIXTURE_DIR, listFixtureCases, stepUnderTest } from '../../fixtures/discover';
import { readEnvelope } from '../../protocol/envelope';
import { xmlPayloadToJson } from '../../protocol/json-codec';
import { readXml } from '../../protocol/xml-reader';
import { loadJsonSchemas } from '../../validation/validator';

type Json = Record<string, any>;

/** Keywords of ours that OpenAPI tools need not see (annotations for the XML codec). */
const XML_ANNOTATIONS = new Set(['xmlItem', 'xsdType', '$id', '$comment']);

export function openApiDocument(registry: Registry): Json {
  const files = loadJsonSchemas(path.join(registry.schemaDir, 'json'));
  const schemas: Json = {};
  // Every definition of every schema file becomes one component; references are rewritten to them.
  for (const [fileId, file] of files) {
    for (const [name, def] of Object.entries((file.$defs ?? {}) as Json)) {
      const converted = convert(def);
      if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(converted)) {
        throw new Error(
          `OpenAPI: the schema definition ${name} of ${fileId} differs from one of the same name in another file`,
        );
      }
      schemas[name] = converted;
    }
  }
  const examples = fixtureExamples(registry);
  const paths: Json = {};
  for (const command of registry.commands.values()) {
    const { name, version, permission } = command.definition;
    const request = `T${name}Request_V${version}`;
    const response = `T${name}Response_V${version}`;
    const needs =
      permission === 'NONE'
        ? 'no permission'
        : typeof permission === 'function'
          ? 'a permission decided by the request (docs/protocol.md §5)'
          : `the permission ${permission}`;
    paths[`/api/v1/commands/${command.key}`] = {
      post: {
        operationId: command.key,
        summary: `${command.key}: needs ${needs}`,
        tags: [name],
        ...(permission === 'NONE' ? { security: [] } : {}),
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: ref(request),
              ...(examples.has(command.key) ? { example: examples.get(command.key) } : {}),
            },
          },
        },
        responses: {
          '200': {
            description: 'The command answer, whatever its ResultCode (as in ICQL)',
            content: { 'application/json': { schema: ref(response) } },
          },
          ...FRAMING_ANSWERS,
        },
      },
    };
  }
  paths['/api/v1/batch'] = {
    post: {
      operationId: 'batch',
      summary:
        'Several commands in one transaction, all or none (docs/protocol.md §8.5); more than one needs TICKET_BATCH',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'array',
              minItems: 1,
              maxItems: 100,
              items: {
                type: 'object',
                minProperties: 1,
                maxProperties: 1,
                description: '{"<Command>_V<N>": request payload}',
              },
            },
          },
        },
      },
      responses: {
        '200': {
          description: 'One {"<Command>_V<N>": response payload} per command, in order',
          content: {
            'application/json': {
              schema: {
                type: 'array',
                items: { type: 'object', minProperties: 1, maxProperties: 1 },
              },
            },
          },
        },
        ...FRAMING_ANSWERS,
      },
    },
  };
  schemas.Problem = {
    type: 'object',
    properties: { ResultCode: { type: 'integer' }, ResultMessage: { type: 'string' } },
    required: ['ResultCode', 'ResultMessage'],
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'acmp-gateway JSON API',
      version: '1',
      description:
        'The ACMP helpdesk commands as JSON (docs/protocol.md §8.4): the same field names as the ICQL payloads, lists as arrays, decimals as strings with two places, GUIDs and dates in their wire form.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    servers: [{ url: '/' }],
    security: [{ session: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        session: {
          type: 'apiKey',
          in: 'header',
          name: 'X-SICS-SESSION',
          description:
            'The SessionId bound by LoginAcmpUser_V1 (or POST /Session); not needed when the gateway runs open on loopback',
        },
      },
    },
  };
}

const FRAMING_ANSWERS = {
  '400': {
    description: 'The body is not JSON, or a batch is not an array of one-key objects',
    content: { 'application/json': { schema: ref('Problem') } },
  },
  '404': {
    description: 'No such command version',
    content: { 'application/json': { schema: ref('Problem') } },
  },
  '413': {
    description: 'The body is larger than the limit',
    content: { 'application/json': { schema: ref('Problem') } },
  },
  '415': {
    description: 'The Content-Type is not application/json (UTF-8)',
    content: { 'application/json': { schema: ref('Problem') } },
  },
};

function ref(name: string): Json {
  return { $ref: `#/components/schemas/${name}` };
}

/** A JSON Schema definition with its references pointing into components/schemas. */
function convert(node: unknown): any {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    if (XML_ANNOTATIONS.has(key)) continue;
    out[key] =
      key === '$ref' && typeof value === 'string'
        ? ref(value.split('#/$defs/')[1]).$ref
        : convert(value);
  }
  return out;
}

/** Each command's first success fixture request, as JSON: real, tested examples. */
function fixtureExamples(registry: Registry): Map<string, unknown> {
  const examples = new Map<string, unknown>();
  if (!existsSync(FIXTURE_DIR) || !FIXTURE_DIR.startsWith(PROJECT_ROOT)) return examples;
  for (const c of listFixtureCases()) {
    const command = registry.commands.get(c.command);
    if (!command || examples.has(c.command)) continue;
    const step = stepUnderTest(c);
    if (!step.response || !/<ResultCode>0<\/ResultCode>/.test(step.response)) continue;
    try {
      const { payload } = readEnvelope(readXml(step.request));
      examples.set(c.command, xmlPayloadToJson(payload, command.request));
    } catch {
      // A success fixture that does not convert is not an example; the JSON fixture test names it.
    }
  }
  return examples;
}
