// Schema-directed conversion between XML elements and plain values (docs/protocol.md §2), in three steps:
//   decode:    XmlElement -> JSON value for Ajv (integers and booleans typed, the rest text)
//   normalize: validated value -> domain value (canonical GUIDs, Dates, null for "none")
//   render:    domain value -> response lines, fields in schema order, lists by schema

import type { Shape } from '../validation/shapes';
import type { FieldError } from '../vocabulary/errors';
import {
  formatDate,
  formatDecimal,
  formatGuid,
  inWireYears,
  isCalendarDate,
  parseDate,
} from '../vocabulary/values';
import type { XmlElement } from './xml-reader';
import type { XmlLines } from './xml-writer';

const INT = /^[+-]?\d+$/;

/** XML → JSON value. Structural problems Ajv cannot see (unknown or misplaced elements) go to `errors`. */
export function decode(el: XmlElement, shape: Shape, path: string, errors: FieldError[]): unknown {
  switch (shape.kind) {
    case 'scalar': {
      if (el.children.length) {
        errors.push({ path, message: 'must be a value, not elements' });
        return undefined;
      }
      if (shape.scalar === 'int')
        return INT.test(el.text.trim()) ? Number(el.text.trim()) : el.text;
      // A lexically fine but impossible date (2025-02-30) is reported with the schema errors.
      if (shape.scalar === 'datetime' && !isCalendarDate(el.text)) {
        errors.push({ path, message: 'not a valid date' });
      }
      if (shape.scalar === 'bool') {
        const t = el.text.trim();
        return t === 'true' || t === '1' ? true : t === 'false' || t === '0' ? false : el.text;
      }
      return el.text;
    }
    case 'list': {
      if (el.text.trim()) errors.push({ path, message: 'unexpected text in a list' });
      const items: unknown[] = [];
      for (const child of el.children) {
        // Past the schema's bound nothing more is read: a hostile list costs no more than a full one.
        if (items.length === shape.max) {
          errors.push({ path, message: `more than ${shape.max} items` });
          break;
        }
        const at = `${path}/${child.name}[${items.length + 1}]`;
        if (child.name !== shape.item)
          errors.push({
            path: `${path}/${child.name}`,
            message: `unknown element; items of this list are <${shape.item}>`,
          });
        else items.push(decode(child, shape.of, at, errors));
      }
      return items;
    }
    case 'object': {
      if (el.text.trim()) errors.push({ path, message: 'unexpected text; expected elements' });
      const out: Record<string, unknown> = {};
      for (const child of el.children) {
        const at = path ? `${path}/${child.name}` : child.name;
        const field = shape.fields.get(child.name);
        if (!field) errors.push({ path: at, message: 'unknown element' });
        else if (child.name in out) errors.push({ path: at, message: 'appears more than once' });
        else out[child.name] = decode(child, field, at, errors);
      }
      return out;
    }
  }
}

/** Validated JSON value → domain value. Throws nothing; calendar errors go to `errors`. */
export function normalize(
  value: unknown,
  shape: Shape,
  path: string,
  errors: FieldError[],
): unknown {
  if (value === undefined) return undefined;
  switch (shape.kind) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
        out[name] = normalize(v, shape.fields.get(name)!, path ? `${path}/${name}` : name, errors);
      }
      return out;
    }
    case 'list':
      return (value as unknown[]).map((v, i) =>
        normalize(v, shape.of, `${path}/${shape.item}[${i + 1}]`, errors),
      );
    case 'scalar': {
      const text = value as string;
      switch (shape.scalar) {
        case 'guid':
          return text === '' ? null : formatGuid(text);
        case 'datetime': {
          if (text === '') return null;
          const d = parseDate(text);
          if (d === undefined) errors.push({ path, message: 'not a valid date' });
          else if (d && !inWireYears(d))
            errors.push({ path, message: 'outside the years 0001..9999 once converted to UTC' });
          return d;
        }
        case 'decimal':
          return text.replace(/^\+/, '');
        default:
          return value;
      }
    }
  }
}

/** Domain value → lines under `name`. Undefined fields are left out; null means "none" (docs/protocol.md §2). */
export function render(
  out: XmlLines,
  depth: number,
  name: string,
  value: unknown,
  shape: Shape,
): void {
  if (value === undefined) return;
  switch (shape.kind) {
    case 'object': {
      const attrs = shape.typeName ? ` xsi:type="${shape.typeName}"` : '';
      const obj = (value ?? {}) as Record<string, unknown>;
      out.open(depth, name, attrs);
      for (const [field, sub] of shape.fields) render(out, depth + 1, field, obj[field], sub);
      out.close(depth, name);
      return;
    }
    case 'list': {
      const items = (value ?? []) as unknown[];
      if (!items.length) return out.empty(depth, name);
      out.open(depth, name);
      for (const item of items) render(out, depth + 1, shape.item, item, shape.of);
      out.close(depth, name);
      return;
    }
    case 'scalar':
      return out.leaf(depth, name, formatScalar(value, shape.scalar));
  }
}

export function formatScalar(value: unknown, kind: string): string {
  switch (kind) {
    case 'guid':
      return value ? formatGuid(value as string) : '';
    case 'datetime':
      return formatDate(value as Date | string | null);
    case 'decimal':
      return formatDecimal(value as string | number | null);
    case 'bool':
      return value ? 'true' : 'false';
    case 'int':
      return String(value ?? 0);
    default:
      return value === null ? '' : String(value);
  }
}
