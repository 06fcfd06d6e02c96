// npm run schemas:build — derives schemas/json/ from schemas/xsd/ (see xsd-to-json-schema.ts).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deriveJsonSchemas } from './xsd-to-json-schema';

export const XSD_DIR = path.join(schemaRoot(), 'xsd');
export const JSON_DIR = path.join(schemaRoot(), 'json');

function schemaRoot(): string {
  // Works from src/tools (ts-node, jest) and from dist/src/tools (compiled).
  let dir = __dirname;
  while (!readdirSync(dir).includes('package.json')) dir = path.dirname(dir);
  return path.join(dir, 'schemas');
}

/** The XSD files, commands first, then shared types; paths relative to schemas/xsd. */
export function listXsdFiles(): string[] {
  const top = readdirSync(XSD_DIR)
    .filter((f) => f.endsWith('.xsd'))
    .sort();
  const types = readdirSync(path.join(XSD_DIR, 'types'))
    .filter((f) => f.endsWith('.xsd'))
    .sort()
    .map((f) => `types/${f}`);
  return [...top, ...types];
}

/** What schemas/json must contain: relative file name → exact file text. */
export function renderJsonSchemas(): Map<string, string> {
  const out = new Map<string, string>();
  for (const { file, schema } of deriveJsonSchemas(XSD_DIR, listXsdFiles()))
    out.set(file, `${JSON.stringify(schema, null, 2)}\n`);
  return out;
}

if (require.main === module) {
  const files = renderJsonSchemas();
  rmSync(JSON_DIR, { recursive: true, force: true });
  for (const [file, text] of files) {
    mkdirSync(path.dirname(path.join(JSON_DIR, file)), { recursive: true });
    writeFileSync(path.join(JSON_DIR, file), text);
  }
  console.log(
    `wrote ${files.size} JSON Schemas to ${path.relative(process.cwd(), JSON_DIR) || JSON_DIR}`,
  );
}
