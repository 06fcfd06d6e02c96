// The registry, built once at start from one file per command version (architecture guide,
// convention 3). It refuses to start on a duplicate key, a command without a schema or one that
// declares no known permission (docs/protocol.md §5).

import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { isPermission, PERMISSIONS } from '../identity/caller';
import { type Shape, ShapeBuilder } from '../validation/shapes';
import { compileDefinition, createAjv, loadJsonSchemas } from '../validation/validator';
import type { CommandCatalog, CommandDefinition } from './types';

export interface RegisteredCommand {
  key: string; // "SaveTicket_V4": the one name used for XSD, JSON Schema, fixtures
  definition: CommandDefinition;
  request: Shape;
  response: Shape;
  validate: ValidateFunction;
}

export class Registry implements CommandCatalog {
  constructor(
    readonly commands: Map<string, RegisteredCommand>,
    readonly schemaDir: string,
  ) {}

  get(command: string, version: number): RegisteredCommand | undefined {
    return this.commands.get(`${command}_V${version}`);
  }

  /** The named commands in the order asked, or all when none are named; unserved names stay in (docs/protocol.md §4). */
  commandNames(names: string[] | undefined): string[] {
    return names?.length ? names : [...this.versions().keys()];
  }

  /** Command name → its versions, ascending. */
  versions(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    for (const c of this.commands.values())
      out.set(c.definition.name, [...(out.get(c.definition.name) ?? []), c.definition.version]);
    for (const list of out.values()) list.sort((a, b) => a - b);
    return new Map([...out].sort(([a], [b]) => a.localeCompare(b)));
  }
}

export function commandKey(name: string, version: number): string {
  return `${name}_V${version}`;
}

/** Loads src/commands/<Name>/v<N>.(ts|js) and the JSON Schemas under schemaDir/json. */
export function buildRegistry(
  schemaDir: string,
  commandDir = __dirname,
  definitions = discover(commandDir),
): Registry {
  const files = loadJsonSchemas(path.join(schemaDir, 'json'));
  const ajv = createAjv(files);
  const shapes = new ShapeBuilder(files);
  const commands = new Map<string, RegisteredCommand>();
  for (const definition of definitions) {
    const key = commandKey(definition.name, definition.version);
    if (commands.has(key)) throw new Error(`Registry: ${key} is defined twice`);
    checkPermission(key, definition);
    const fileId = `/${key}.json`;
    if (!files.has(fileId))
      throw new Error(
        `Registry: ${key} has no schema (expected schemas/json/${key}.json from schemas/xsd/${key}.xsd)`,
      );
    const requestDef = `T${definition.name}Request_V${definition.version}`;
    const responseDef = `T${definition.name}Response_V${definition.version}`;
    commands.set(key, {
      key,
      definition,
      request: shapes.shapeOf(fileId, requestDef),
      response: shapes.shapeOf(fileId, responseDef),
      validate: compileDefinition(ajv, fileId, requestDef),
    });
  }
  return new Registry(commands, schemaDir);
}

function checkPermission(key: string, { name, version, permission }: CommandDefinition): void {
  if (permission === 'NONE' || typeof permission === 'function' || isPermission(permission)) return;
  const declared =
    permission === undefined
      ? 'declares no permission'
      : `declares the unknown permission ${JSON.stringify(permission)}`;
  throw new Error(
    `Registry: ${key} (src/commands/${name}/v${version}.ts) ${declared}; set permission to 'NONE' or one of ${PERMISSIONS.join(', ')} (docs/protocol.md §5)`,
  );
}

function discover(dir: string): CommandDefinition[] {
  const out: CommandDefinition[] = [];
  for (const folder of readdirSync(dir, { withFileTypes: true })) {
    if (!folder.isDirectory()) continue;
    for (const file of readdirSync(path.join(dir, folder.name))) {
      const m = /^v(\d+)\.(ts|js)$/.exec(file);
      if (!m) continue;
      const definition = require(path.join(dir, folder.name, file)).default as CommandDefinition;
      if (definition?.name !== folder.name || definition.version !== Number(m[1])) {
        throw new Error(
          `Registry: ${folder.name}/${file} must declare name "${folder.name}" and version ${m[1]}`,
        );
      }
      out.push(definition);
    }
  }
  return out;
}
