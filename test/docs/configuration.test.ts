// docs/configuration.md and src/config.ts agree: the page's table lists exactly the environment
// variables the configuration reads, and shows the defaults the code falls back to.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { readPage, withoutFences } from './markdown';

const PAGE = 'docs/configuration.md';
const SOURCE = 'src/config.ts';

/** The source without its comments, so that a name mentioned in a comment does not count as read. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const NAME = '[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*';

/**
 * The environment variables a source reads: `env.NAME` (also `process.env.NAME`), `env['NAME']`,
 * and a name in quotes given as the first argument of a helper (`int('PORT', 3900)`) or as a
 * `name:` in a table of settings.
 */
function variablesRead(source: string): Set<string> {
  const text = code(source);
  const names = new Set<string>();
  const patterns = [
    new RegExp(`\\benv\\s*(?:\\?\\.|\\.)\\s*(${NAME})\\b`, 'g'),
    new RegExp(`\\benv\\s*\\[\\s*['"\`](${NAME})['"\`]\\s*\\]`, 'g'),
    new RegExp(`\\b[A-Za-z_$][\\w$]*\\(\\s*['"\`](${NAME})['"\`]\\s*[,)]`, 'g'),
    new RegExp(`\\b(?:name|env|variable)\\s*:\\s*['"\`](${NAME})['"\`]`, 'g'),
  ];
  for (const pattern of patterns) for (const m of text.matchAll(pattern)) names.add(m[1]);
  return names;
}

interface Row {
  name: string;
  default: string;
}

/** The rows of the page's tables whose first cell is a variable name in backticks. */
function documentedRows(markdown: string): Row[] {
  return [
    ...withoutFences(markdown).matchAll(new RegExp(`^\\|\\s*\`(${NAME})\`\\s*\\|([^|]*)\\|`, 'gm')),
  ].map((m) => ({ name: m[1], default: m[2].trim() }));
}

/** The literal defaults in the source: `int('NAME', 10_000, …)` and `env.NAME || 'text'`. */
function literalDefaults(source: string): Map<string, string> {
  const text = code(source);
  const defaults = new Map<string, string>();
  for (const m of text.matchAll(
    new RegExp(`\\(\\s*['"\`](${NAME})['"\`]\\s*,\\s*([\\d_]+)\\s*[,)]`, 'g'),
  ))
    defaults.set(m[1], m[2].replace(/_/g, ''));
  for (const m of text.matchAll(
    new RegExp(`\\benv\\.(${NAME})\\s*(?:\\|\\||\\?\\?)\\s*'([^']+)'`, 'g'),
  ))
    defaults.set(m[1], m[2]);
  return defaults;
}

/** What differs between the variables read and those documented, in words; empty when they agree. */
function disagreements(read: Set<string>, documented: string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const name of documented) {
    if (seen.has(name)) problems.push(`${name} has more than one row in ${PAGE}`);
    seen.add(name);
  }
  const undocumented = [...read].filter((n) => !seen.has(n)).sort();
  const unread = [...seen].filter((n) => !read.has(n)).sort();
  if (undocumented.length)
    problems.push(
      `read in ${SOURCE} but missing from the table in ${PAGE}: ${undocumented.join(', ')}`,
    );
  if (unread.length)
    problems.push(`in the table of ${PAGE} but not read in ${SOURCE}: ${unread.join(', ')}`);
  return problems;
}

const source = readFileSync(path.join(PROJECT_ROOT, SOURCE), 'utf8');
const read = variablesRead(source);
const rows = documentedRows(readPage(PAGE));

test(`${SOURCE} is read: it names the settings every start needs`, () => {
  expect([...read]).toEqual(expect.arrayContaining(['HOST', 'PORT', 'DATABASE_URL', 'ACMP_AUTH']));
  expect(read.size).toBeGreaterThan(20);
});

test(`${PAGE} lists exactly the environment variables ${SOURCE} reads`, () => {
  expect(
    disagreements(
      read,
      rows.map((r) => r.name),
    ),
  ).toEqual([]);
});

test(`${PAGE} shows the default ${SOURCE} falls back to`, () => {
  const wrong: string[] = [];
  for (const [name, value] of literalDefaults(source)) {
    const row = rows.find((r) => r.name === name);
    if (!row) continue; // reported by the test above
    const cell = row.default.replace(/[`,]/g, '');
    if (
      !new RegExp(`(^|[^\\w./-])${value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^\\w./-])`).test(
        cell,
      )
    )
      wrong.push(`${name}: ${SOURCE} falls back to ${value}, ${PAGE} says "${row.default}"`);
  }
  expect(wrong).toEqual([]);
});

test('the comparison names what is missing where', () => {
  expect(disagreements(new Set(['PORT', 'ACMP_A']), ['PORT', 'ACMP_B', 'PORT'])).toEqual([
    `PORT has more than one row in ${PAGE}`,
    `read in ${SOURCE} but missing from the table in ${PAGE}: ACMP_A`,
    `in the table of ${PAGE} but not read in ${SOURCE}: ACMP_B`,
  ]);
  expect(
    variablesRead(
      `// env.ACMP_IN_A_COMMENT\nconst a = env.ACMP_A || 'x'; int('ACMP_B', 3); process.env.ACMP_C; env['ACMP_D']; const t = [{ name: 'ACMP_E' }];`,
    ),
  ).toEqual(new Set(['ACMP_A', 'ACMP_B', 'ACMP_C', 'ACMP_D', 'ACMP_E']));
});
