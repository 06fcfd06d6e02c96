// Schema-directed conversion between JSON payloads and the pipeline's values (docs/protocol.md §8.4), the JSON
// twin of codec.ts: the same Shapes, the same Ajv schemas, the same domain values.
//   decodeJson: JSON request -> the value Ajv validates (what decode() makes of the same XML)
//   toJson:     domain value -> JSON response (integers as numbers, decimals as "12.50",
//               booleans as booleans, GUIDs and dates in their wire form, lists as arrays)

import type { Shape } from '../validation/shapes';
import type { FieldError } from '../vocabulary/errors';
import { isCalendarDate } from '../vocabulary/values';
import { decode, formatScalar, normalize } from './codec';
import type { XmlElement } from './xml-reader';

/** JSON → the value Ajv checks. Structural problems Ajv cannot see (unknown fields, wrong JSON kinds) go to `errors`. */
export function decodeJson(
  value: unknown,
  shape: Shape,
  path: string,
  errors: FieldError[],
): unknown {
  const at = path || 'payload';
  switch (shape.kind) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        errors.push({ path: at, message: `must be a JSON object, not ${kindOf(value)}` });
        return undefined;
      }
      const out: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value)) {
        const field = shape.fields.get(name);
        const sub = path ? `${path}/${name}` : name;
        if (!field) errors.push({ path: sub, message: 'unknown field' });
        else if (v !== undefined) out[name] = decodeJson(v, field, sub, errors);
      }
      return out;
    }
    case 'list': {
      if (!Array.isArray(value)) {
        errors.push({ path: at, message: `must be a JSON array, not ${kindOf(value)}` });
        return undefined;
      }
      if (value.length > shape.max) {
        // Past the schema's bound nothing more is read, as in the XML reader.
        errors.push({ path: at, message: `more than ${shape.max} items` });
        value = value.slice(0, shape.max);
      }
      return (value as unknown[]).map((item, i) =>
        decodeJson(item, shape.of, `${path}/${shape.item}[${i + 1}]`, errors),
      );
    }
    case 'scalar': {
      switch (shape.scalar) {
        case 'int':
        case 'bool':
          return value; // Ajv checks the JSON type: "5" is not an integer, "true" not a boolean
        case 'decimal':
          // Money travels as a string ("12.50"); a JSON number is read by its shortest text.
          return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
        default: {
          if (value === null) return ''; // "none" (docs/protocol.md §2)
          if (typeof value !== 'string') {
            errors.push({ path: at, message: `must be a string, not ${kindOf(value)}` });
            return undefined;
          }
          if (shape.scalar === 'datetime' && !isCalendarDate(value))
            errors.push({ path: at, message: 'not a valid date' });
          return value;
        }
      }
    }
  }
}

/** Domain value → JSON, fields in schema order; undefined fields are left out, empty lists are []. */
export function toJson(value: unknown, shape: Shape): unknown {
  switch (shape.kind) {
    case 'object': {
      const obj = (value ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [field, sub] of shape.fields)
        if (obj[field] !== undefined) out[field] = toJson(obj[field], sub);
      return out;
    }
    case 'list':
      return ((value ?? []) as unknown[]).map((item) => toJson(item, shape.of));
    case 'scalar':
      switch (shape.scalar) {
        case 'int':
          return Number(value ?? 0);
        case 'bool':
          return Boolean(value);
        default:
          return formatScalar(value, shape.scalar);
      }
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** An XML request payload as the JSON a client would send for it (OpenAPI examples, tests). */
export function xmlPayloadToJson(payload: XmlElement | undefined, shape: Shape): unknown {
  const errors: FieldError[] = [];
  const raw = decode(payload ?? { name: '', attrs: {}, children: [], text: '' }, shape, '', errors);
  const value = normalize(raw, shape, '', errors);
  if (errors.length)
    throw new Error(
      `not a valid payload: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
    );
  return toJson(value, shape);
}
