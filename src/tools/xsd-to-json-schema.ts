// Derives JSON Schemas from the project's XSD files ("XSD is the source of truth").
//
// Deliberately hand-written: the XSD subset the catalog uses is small (named simple types with
// facets, complex types made of xs:all or xs:sequence, bounded lists, xs:include), and the npm
// converters we looked at are unmaintained or emit shapes that do not tell an object from a
// list. Anything outside the subset stops the build with the file and construct named, so a
// dropped-in XSD can never be half understood.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';

import type { JsonSchema } from '../validation/shapes';

/** One derived file: `$id` is the file's path under schemas/json, absolute so refs resolve from anywhere. */
export interface DerivedSchema {
  file: string; // relative path under schemas/json, e.g. "types/common.json"
  schema: JsonSchema;
}

type XNode = { tag: string; attrs: Record<string, string>; children: XNode[]; text: string };

const XS_INT = { type: 'integer', minimum: -2147483648, maximum: 2147483647 };
// The lexical space of xs:dateTime (XML Schema 1.1, part 2, 3.3.7). The calendar check (no
// February 30) is made by the XML reader, as libxml2 makes it.
const XS_DATETIME_PATTERN =
  '^-?([1-9][0-9]{3,}|0[0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?|(24:00:00(\\.0+)?))(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?$';
// xsdType records the built-in type so that the reader knows which values to convert.
const BUILT_IN: Record<string, JsonSchema> = {
  'xs:string': { type: 'string' },
  'xs:int': XS_INT,
  'xs:boolean': { type: 'boolean' },
  'xs:dateTime': { type: 'string', xsdType: 'xs:dateTime', pattern: XS_DATETIME_PATTERN },
};

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  parseTagValue: false,
  parseAttributeValue: false,
  commentPropName: '#comment',
});

function toTree(nodes: any[]): XNode[] {
  const out: XNode[] = [];
  for (const n of nodes) {
    const tag = Object.keys(n).find((k) => k !== ':@');
    if (!tag || tag === '#text' || tag === '#comment' || tag === '?xml') continue;
    const text = (n[tag] as any[])
      .map((c) => c['#text'] ?? '')
      .join('')
      .trim();
    out.push({ tag, attrs: n[':@'] ?? {}, children: toTree(n[tag]), text });
  }
  return out;
}

/** Converts every XSD under `xsdDir` (commands at the top, shared types under types/). */
export function deriveJsonSchemas(xsdDir: string, files: string[]): DerivedSchema[] {
  const parsed = files.map((file) => {
    const text = readFileSync(path.join(xsdDir, file), 'utf8');
    const tree = toTree(parser.parse(text));
    const root = tree.find((n) => n.tag === 'xs:schema');
    if (!root) throw new Error(`${file}: no xs:schema root`);
    return { file, root };
  });

  // Global type table: which derived file defines each named type or top-level element.
  const owner = new Map<string, string>();
  for (const { file, root } of parsed) {
    for (const n of root.children) {
      if (n.tag === 'xs:include' || n.tag === 'xs:annotation') continue;
      const name = n.attrs.name;
      if (!['xs:simpleType', 'xs:complexType', 'xs:element'].includes(n.tag) || !name) {
        throw new Error(`${file}: unsupported top-level construct <${n.tag}>`);
      }
      if (owner.has(name))
        throw new Error(`${file}: ${name} is already defined in ${owner.get(name)}`);
      owner.set(name, jsonFile(file));
    }
  }

  return parsed.map(({ file, root }) => {
    const ctx = { file, owner };
    const defs: Record<string, JsonSchema> = {};
    for (const n of root.children) {
      if (n.tag === 'xs:include' || n.tag === 'xs:annotation') continue;
      defs[n.attrs.name] = n.tag === 'xs:element' ? elementType(n, ctx) : typeOf(n, ctx);
    }
    const id = `/${jsonFile(file)}`;
    return {
      file: jsonFile(file),
      schema: {
        $id: id,
        $comment: `generated from schemas/xsd/${file} by "npm run schemas:build" - do not edit`,
        $defs: defs,
      },
    };
  });
}

export function jsonFile(xsdFile: string): string {
  return xsdFile.replace(/\.xsd$/, '.json');
}

interface Ctx {
  file: string;
  owner: Map<string, string>;
}

/** Carries an xs:documentation over as the JSON Schema description. */
function withDoc(schema: JsonSchema, n: XNode): JsonSchema {
  const doc = n.children
    .find((c) => c.tag === 'xs:annotation')
    ?.children.find((c) => c.tag === 'xs:documentation')?.text;
  return doc ? { description: doc, ...schema } : schema;
}

function ref(typeName: string, ctx: Ctx): JsonSchema {
  if (BUILT_IN[typeName]) return { ...BUILT_IN[typeName] };
  if (typeName.startsWith('xs:'))
    throw new Error(`${ctx.file}: unsupported built-in type ${typeName}`);
  const file = ctx.owner.get(typeName);
  if (!file) throw new Error(`${ctx.file}: unknown type ${typeName}`);
  return { $ref: `/${file}#/$defs/${typeName}` };
}

function significant(n: XNode): XNode[] {
  return n.children.filter((c) => c.tag !== 'xs:annotation');
}

function typeOf(n: XNode, ctx: Ctx): JsonSchema {
  if (n.tag === 'xs:simpleType') return withDoc(simpleType(n, ctx), n);
  if (n.tag === 'xs:complexType') return withDoc(complexType(n, ctx), n);
  throw new Error(`${ctx.file}: unsupported construct <${n.tag}>`);
}

function simpleType(n: XNode, ctx: Ctx): JsonSchema {
  const [restriction, ...rest] = significant(n);
  if (restriction?.tag === 'xs:union' && !rest.length) return union(restriction, ctx);
  if (restriction?.tag !== 'xs:restriction' || rest.length) {
    throw new Error(
      `${ctx.file}: simple type ${n.attrs.name ?? '(anonymous)'} must be one xs:restriction or xs:union`,
    );
  }
  const base = BUILT_IN[restriction.attrs.base];
  if (!base)
    throw new Error(
      `${ctx.file}: restriction base must be one of ${Object.keys(BUILT_IN).join(', ')}, not ${restriction.attrs.base}`,
    );
  const out: JsonSchema = { ...base };
  const enums: string[] = [];
  for (const f of significant(restriction)) {
    const v = f.attrs.value;
    switch (f.tag) {
      case 'xs:enumeration':
        enums.push(v);
        break;
      // XSD patterns are anchored implicitly; JSON Schema patterns are not.
      // A pattern on a base that has one of its own (xs:dateTime) narrows it: both must match.
      case 'xs:pattern':
        if (base.pattern) out.allOf = [{ pattern: `^(?:${v})$` }];
        else out.pattern = `^(?:${v})$`;
        break;
      case 'xs:maxLength':
        out.maxLength = Number(v);
        break;
      case 'xs:length':
        out.minLength = out.maxLength = Number(v);
        break;
      case 'xs:minLength':
        out.minLength = Number(v);
        break;
      case 'xs:minInclusive':
        out.minimum = Number(v);
        break;
      case 'xs:maxInclusive':
        out.maximum = Number(v);
        break;
      default:
        throw new Error(`${ctx.file}: unsupported facet <${f.tag}>`);
    }
  }
  if (enums.length) out.enum = enums;
  return out;
}

/** xs:union of named member types and inline simple types: any one of them. */
function union(n: XNode, ctx: Ctx): JsonSchema {
  const members = (n.attrs.memberTypes ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((t) => ref(t, ctx));
  for (const inline of significant(n)) members.push(simpleType(inline, ctx));
  if (members.length < 2) throw new Error(`${ctx.file}: xs:union needs at least two member types`);
  return { anyOf: members };
}

function complexType(n: XNode, ctx: Ctx): JsonSchema {
  const parts = significant(n);
  if (parts.length !== 1 || !['xs:all', 'xs:sequence'].includes(parts[0].tag)) {
    throw new Error(
      `${ctx.file}: complex type ${n.attrs.name ?? '(anonymous)'} must hold one xs:all or xs:sequence`,
    );
  }
  const elements = significant(parts[0]);
  for (const e of elements)
    if (e.tag !== 'xs:element') throw new Error(`${ctx.file}: unsupported particle <${e.tag}>`);

  // A sequence of one repeated element is a list: <Costs><TTicketCost_V1/>...</Costs>.
  const only = elements.length === 1 ? elements[0] : undefined;
  if (
    parts[0].tag === 'xs:sequence' &&
    only &&
    only.attrs.maxOccurs &&
    only.attrs.maxOccurs !== '1'
  ) {
    if (only.attrs.maxOccurs === 'unbounded')
      throw new Error(
        `${ctx.file}: list ${only.attrs.name} must be bounded (maxOccurs="unbounded")`,
      );
    const list: JsonSchema = {
      type: 'array',
      xmlItem: only.attrs.name,
      items: elementType(only, ctx),
      maxItems: Number(only.attrs.maxOccurs),
    };
    if (only.attrs.minOccurs && only.attrs.minOccurs !== '0')
      list.minItems = Number(only.attrs.minOccurs);
    return list;
  }

  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const e of elements) {
    const name = e.attrs.name;
    if (!name) throw new Error(`${ctx.file}: element without a name`);
    if (e.attrs.maxOccurs && e.attrs.maxOccurs !== '1') {
      throw new Error(
        `${ctx.file}: ${name} repeats; wrap repeated elements in a list type of their own`,
      );
    }
    properties[name] = withDoc(elementType(e, ctx), e);
    if (e.attrs.minOccurs !== '0') required.push(name);
  }
  const obj: JsonSchema = { type: 'object', properties, additionalProperties: false };
  if (required.length) obj.required = required;
  return obj;
}

function elementType(e: XNode, ctx: Ctx): JsonSchema {
  if (e.attrs.type) return ref(e.attrs.type, ctx);
  const inline = significant(e);
  if (inline.length !== 1) throw new Error(`${ctx.file}: element ${e.attrs.name} needs a type`);
  return typeOf(inline[0], ctx);
}
