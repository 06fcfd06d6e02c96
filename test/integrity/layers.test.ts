// The layer rules of .dependency-cruiser.js (run by `npm run lint`), tried on small trees that
// break each rule once: a rule whose pattern stopped matching would let its arrow back in silently.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';

const CONFIG = path.join(PROJECT_ROOT, '.dependency-cruiser.js');
const DEPCRUISE = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Runs the project's rules over a tree of files (path → source) and returns what they report. */
function violationsOf(files: Record<string, string>): Violation[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-layers-'));
  try {
    writeFileSync(
      path.join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }),
    );
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const run = spawnSync(DEPCRUISE, ['src', '--config', CONFIG, '--output-type', 'json'], {
      cwd: dir,
      encoding: 'utf8',
    });
    if (!run.stdout) throw new Error(`depcruise gave no report: ${run.stderr}`);
    return JSON.parse(run.stdout).summary.violations;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const names = (violations: Violation[]) => [...new Set(violations.map((v) => v.rule.name))];

test('the source tree keeps every layer rule', () => {
  const run = spawnSync(DEPCRUISE, ['src', '--output-type', 'err'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
  });
  expect(run.stdout).toContain('no dependency violations found');
  expect(run.status).toBe(0);
});

test('a circle of imports is refused, also through types alone', () => {
  const found = violationsOf({
    'src/identity/a.ts': "import type { B } from './b';\nexport type A = B[];\n",
    'src/identity/b.ts': "import type { A } from './a';\nexport type B = { a?: A };\n",
  });
  expect(names(found)).toEqual(['no-circular']);
});

test.each([
  ['domain-below-the-wire', 'src/domain/rules.ts', 'src/protocol/envelope.ts'],
  ['domain-below-the-wire', 'src/domain/rules.ts', 'src/commands/registry.ts'],
  ['domain-below-the-wire', 'src/domain/rules.ts', 'src/transports/soap/route.ts'],
  ['domain-below-the-wire', 'src/domain/rules.ts', 'src/console/route.ts'],
  ['vocabulary-stands-alone', 'src/vocabulary/errors.ts', 'src/db/connection.ts'],
  ['lower-layers-stay-low', 'src/observability/metrics.ts', 'src/commands/registry.ts'],
  ['lower-layers-stay-low', 'src/bus/store.ts', 'src/protocol/process-command.ts'],
  ['commands-see-no-wire', 'src/commands/Thing/v1.ts', 'src/protocol/xml-reader.ts'],
  ['protocol-knows-no-transport', 'src/protocol/process-command.ts', 'src/http/body.ts'],
  ['protocol-knows-no-transport', 'src/protocol/process-command.ts', 'src/transports/json/x.ts'],
  ['http-helpers-know-no-transport', 'src/http/rate-limit.ts', 'src/transports/soap/faults.ts'],
  ['transports-apart', 'src/transports/json/route.ts', 'src/transports/soap/faults.ts'],
  ['runtime-never-imports-tools', 'src/console/fixture.ts', 'src/tools/replay.ts'],
])('%s: %s may not import %s', (rule, from, to) => {
  const spec = path.relative(path.dirname(from), to).replace(/\.ts$/, '');
  const found = violationsOf({
    [from]: `import { x } from '${spec.startsWith('.') ? spec : `./${spec}`}';\nexport const y = x;\n`,
    [to]: 'export const x = 1;\n',
  });
  expect(found.map((v) => [v.rule.name, v.from, v.to])).toEqual([[rule, from, to]]);
});

test('allowed arrows stay allowed: the pipeline over commands, transports over the pipeline, tools over all', () => {
  const found = violationsOf({
    'src/vocabulary/errors.ts': 'export const e = 1;\n',
    'src/domain/tickets.ts': "import { e } from '../vocabulary/errors';\nexport const d = e;\n",
    'src/commands/Thing/v1.ts': "import { d } from '../../domain/tickets';\nexport const c = d;\n",
    'src/protocol/process-command.ts':
      "import { c } from '../commands/Thing/v1';\nexport const p = c;\n",
    'src/transports/soap/route.ts':
      "import { p } from '../../protocol/process-command';\nexport const s = p;\n",
    'src/tools/replay.ts': "import { s } from '../transports/soap/route';\nexport const t = s;\n",
  });
  expect(found).toEqual([]);
});
