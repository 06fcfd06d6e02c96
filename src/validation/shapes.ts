// A Shape is a command schema resolved once at start into what the XML reader and writer need
// to walk: objects with their fields in order, lists with their item element, scalars with
// their wire kind. Every list is a list because the schema says so, never because of how many
// items came.

/** A JSON Schema as schemas/json holds it (derived from schemas/xsd by npm run schemas:build). */
export type JsonSchema = Record<string, unknown>;

export type ScalarKind = 'string' | 'int' | 'bool' | 'guid' | 'datetime' | 'decimal';

export type Shape =
  | { kind: 'object'; typeName?: string; fields: Map<string, Shape>; required: Set<string> }
  | { kind: 'list'; typeName?: string; item: string; of: Shape; max: number }
  | { kind: 'scalar'; typeName?: string; scalar: ScalarKind };

// Named simple types whose values the gateway converts (docs/protocol.md §2); every other string is text.
const NAMED_SCALARS: Record<string, ScalarKind> = {
  Guid: 'guid',
  OptionalGuid: 'guid',
  DateTime: 'datetime',
  OptionalDateTime: 'datetime',
  Decimal: 'decimal',
};

/** Resolves `/file.json#/$defs/Name` references against the loaded schema files. */
export class ShapeBuilder {
  private readonly cache = new Map<string, Shape>();

  constructor(private readonly files: Map<string, JsonSchema>) {}

  /** The shape of a definition, e.g. ('/SaveTicket_V4.json', 'TSaveTicketRequest_V4'). */
  shapeOf(fileId: string, defName: string): Shape {
    return this.resolve({ $ref: `${fileId}#/$defs/${defName}` });
  }

  definition(ref: string): { schema: JsonSchema; name: string } {
    const [fileId, pointer] = ref.split('#');
    const name = pointer.replace('/$defs/', '');
    const file = this.files.get(fileId);
    const schema = (file?.$defs as Record<string, JsonSchema> | undefined)?.[name];
    if (!schema) throw new Error(`schema reference ${ref} does not resolve`);
    return { schema, name };
  }

  private resolve(schema: JsonSchema, typeName?: string): Shape {
    const ref = schema.$ref as string | undefined;
    if (ref) {
      const hit = this.cache.get(ref);
      if (hit) return hit;
      const def = this.definition(ref);
      const shape = this.resolve(def.schema, def.name);
      this.cache.set(ref, shape);
      return shape;
    }
    if (schema.anyOf) {
      // A union of scalars (OptionalDateTime = DateTime | Empty) reads as its most specific member.
      const kinds = (schema.anyOf as JsonSchema[])
        .map((m) => this.resolve(m))
        .map((m) => (m.kind === 'scalar' ? m.scalar : 'string'));
      const scalar =
        (typeName && NAMED_SCALARS[typeName]) || kinds.find((k) => k !== 'string') || 'string';
      return { kind: 'scalar', typeName, scalar };
    }
    if (schema.xsdType === 'xs:dateTime') return { kind: 'scalar', typeName, scalar: 'datetime' };
    switch (schema.type) {
      case 'object': {
        const fields = new Map<string, Shape>();
        for (const [name, sub] of Object.entries(
          (schema.properties ?? {}) as Record<string, JsonSchema>,
        ))
          fields.set(name, this.resolve(sub));
        return {
          kind: 'object',
          typeName,
          fields,
          required: new Set((schema.required ?? []) as string[]),
        };
      }
      case 'array':
        return {
          kind: 'list',
          typeName,
          item: schema.xmlItem as string,
          of: this.resolve(schema.items as JsonSchema),
          max: schema.maxItems as number,
        };
      case 'integer':
        return { kind: 'scalar', typeName, scalar: 'int' };
      case 'boolean':
        return { kind: 'scalar', typeName, scalar: 'bool' };
      case 'string':
        return {
          kind: 'scalar',
          typeName,
          scalar: (typeName && NAMED_SCALARS[typeName]) || 'string',
        };
      default:
        throw new Error(`unsupported schema type ${String(schema.type)}`);
    }
  }
}

/** Walks a JSON pointer-ish instance path ("/Costs/2/UnitPrice") to the shape and a readable path ("Costs/TTicketCost_V1[3]/UnitPrice"). */
export function describePath(root: Shape, instancePath: string): { shape?: Shape; path: string } {
  let shape: Shape | undefined = root;
  const parts: string[] = [];
  for (const raw of instancePath.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (shape?.kind === 'list') {
      parts.push(`${shape.item}[${Number(seg) + 1}]`);
      shape = shape.of;
    } else {
      parts.push(seg);
      shape = shape?.kind === 'object' ? shape.fields.get(seg) : undefined;
    }
  }
  return { shape, path: parts.join('/') };
}
