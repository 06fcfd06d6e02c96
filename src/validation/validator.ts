// One Ajv instance; every command's request schema compiled once at start (architecture
// guide, convention 6). Errors are turned into the readable list docs/protocol.md §1 asks for.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { FieldError } from '../vocabulary/errors';
import { describePath, type JsonSchema, type Shape } from './shapes';

/** Loads every JSON Schema under dir, keyed by $id ("/SaveTicket_V4.json", "/types/common.json"). */
export function loadJsonSchemas(dir: string): Map<string, JsonSchema> {
  const files = new Map<string, JsonSchema>();
  const walk = (sub: string) => {
    for (const entry of readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = path.posix.join(sub, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (entry.name.endsWith('.json')) {
        const schema = JSON.parse(readFileSync(path.join(dir, rel), 'utf8')) as JsonSchema;
        files.set(schema.$id as string, schema);
      }
    }
  };
  walk('');
  return files;
}

export function createAjv(files: Map<string, JsonSchema>): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, verbose: true });
  ajv.addKeyword({ keyword: 'xmlItem', schemaType: 'string' }); // annotation: the XML item element of a list
  ajv.addKeyword({ keyword: 'xsdType', schemaType: 'string' }); // annotation: the XSD built-in type (xs:dateTime)
  for (const schema of files.values()) ajv.addSchema(schema);
  return ajv;
}

export function compileDefinition(ajv: Ajv, fileId: string, defName: string): ValidateFunction {
  const validate = ajv.getSchema(`${fileId}#/$defs/${defName}`);
  if (!validate) throw new Error(`no schema definition ${fileId}#/$defs/${defName}`);
  return validate;
}

const SCALAR_PATTERN_MESSAGES: Record<string, string> = {
  guid: 'not a GUID',
  datetime:
    'not a dateTime with a year 0001..9999 (e.g. 2025-06-27T11:16:00Z; empty only where a date may be absent)',
  decimal: 'not a decimal number with at most two decimals (e.g. 12.50)',
};

/** One readable message per problem, with the XML path of the element. */
export function describeErrors(root: Shape, errors: ErrorObject[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  // A union (anyOf) fails as a whole: its members' own errors at the same place would only confuse.
  const unions = new Set(errors.filter((e) => e.keyword === 'anyOf').map((e) => e.instancePath));
  for (const e of errors) {
    if (unions.has(e.instancePath) && e.keyword !== 'anyOf') continue;
    const { shape, path } = describePath(root, e.instancePath);
    const p = e.params as Record<string, any>;
    const parent = e.parentSchema as JsonSchema | undefined;
    let at = path;
    let message: string;
    switch (e.keyword) {
      case 'required':
        at = join(path, p.missingProperty);
        message = 'missing';
        break;
      case 'additionalProperties':
        at = join(path, p.additionalProperty);
        message = 'unknown element';
        break;
      case 'type':
        message = Array.isArray(e.data) ? 'appears more than once' : typeMessage(p.type);
        break;
      case 'anyOf':
      case 'pattern':
        message =
          (shape?.kind === 'scalar' && SCALAR_PATTERN_MESSAGES[shape.scalar]) ||
          `does not match ${String(parent?.pattern)}`;
        break;
      case 'maxLength':
        message = `longer than ${p.limit}`;
        break;
      case 'minLength':
        message = `shorter than ${p.limit}`;
        break;
      case 'minimum':
      case 'maximum':
        message =
          parent?.minimum !== undefined && parent?.maximum !== undefined
            ? `must be ${parent.minimum}..${parent.maximum}`
            : `must be ${e.keyword === 'minimum' ? '>=' : '<='} ${p.limit}`;
        break;
      case 'enum':
        message = `must be one of ${(p.allowedValues as string[]).join(', ')}`;
        break;
      case 'maxItems':
        message = `more than ${p.limit} items`;
        break;
      case 'minItems':
        message = `fewer than ${p.limit} items`;
        break;
      default:
        message = e.message ?? e.keyword;
    }
    const key = `${at}\u0000${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path: at, message });
    }
  }
  return out;
}

function join(a: string, b: string): string {
  return a ? `${a}/${b}` : b;
}

function typeMessage(type: string): string {
  switch (type) {
    case 'integer':
      return 'not an integer';
    case 'boolean':
      return 'not a boolean (true, false, 1 or 0)';
    case 'object':
      return 'must contain elements, not text';
    case 'array':
      return 'must be a list of elements';
    default:
      return 'must be text, not elements';
  }
}
