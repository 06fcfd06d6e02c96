// schemas/json is derived from schemas/xsd: rebuilding must reproduce it exactly.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JSON_DIR, renderJsonSchemas } from '../../src/tools/build-schemas';

function committedFiles(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? committedFiles(path.join(dir, e.name), `${prefix}${e.name}/`)
      : [`${prefix}${e.name}`],
  );
}

test('npm run schemas:build reproduces schemas/json byte for byte', () => {
  const derived = renderJsonSchemas();
  expect(committedFiles(JSON_DIR).sort()).toEqual([...derived.keys()].sort());
  for (const [file, text] of derived) {
    expect({ file, text: readFileSync(path.join(JSON_DIR, file), 'utf8') }).toEqual({ file, text });
  }
});
