// Integrity over the catalogs (architecture guide, convention 10): registry <-> XSD <-> JSON
// Schema <-> fixtures <-> the command table of docs/commands.md. Nothing exists without an entry.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { TICKET_QUERIES } from '../../src/domain/ticket-queries';
import { stepUnderTest } from '../../src/fixtures/discover';
import { readEnvelope } from '../../src/protocol/envelope';
import { readXml } from '../../src/protocol/xml-reader';
import { JSON_DIR, XSD_DIR } from '../../src/tools/build-schemas';
import { listFixtureCases } from '../support/fixtures';
import { testRegistry } from '../support/gateway';

const registry = testRegistry();
const keys = [...registry.commands.keys()].sort();
const xsdKeys = readdirSync(XSD_DIR)
  .filter((f) => f.endsWith('.xsd'))
  .map((f) => f.slice(0, -4))
  .sort();
const cases = listFixtureCases();

test('every command XSD has a handler and every handler an XSD and a derived JSON Schema', () => {
  expect(keys).toEqual(xsdKeys);
  const jsonKeys = readdirSync(JSON_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
  expect(jsonKeys).toEqual(xsdKeys);
});

const resultCode = (xml: string | undefined) =>
  Number(/<ResultCode>(-?\d+)<\/ResultCode>/.exec(xml ?? '')?.[1]);

// A token is random and a fixture cannot carry it from one step to the next: the successful token
// login is a flow test (test/flows/login.test.ts).
const NO_SUCCESS_FIXTURE = new Set(['TokenLoginAcmpUser_V1']);

test('every command version has fixture cases that succeed and that fail, and no fixture targets an unknown command', () => {
  const missing = keys.flatMap((key) => {
    const own = cases.filter((c) => c.command === key);
    const problems: string[] = [];
    if (
      !NO_SUCCESS_FIXTURE.has(key) &&
      !own.some((c) => resultCode(stepUnderTest(c).response) === 0)
    )
      problems.push(`${key}: no success case`);
    if (!own.some((c) => resultCode(stepUnderTest(c).response) > 0))
      problems.push(`${key}: no error case`);
    return problems;
  });
  expect(missing).toEqual([]);
  expect(
    [...new Set(cases.map((c) => c.command))].filter((k) => !registry.commands.has(k)),
  ).toEqual([]);
});

test('each numbered fixture step sends the command its file name announces', () => {
  const wrong = cases.flatMap((c) =>
    c.steps
      .filter((s) => s.name !== 'request')
      .flatMap((s) => {
        try {
          const env = readEnvelope(readXml(s.request));
          return `${env.command}_V${env.version}` === s.command
            ? []
            : [`${c.command}/${c.name}/${s.name}: sends ${env.command}_V${env.version}`];
        } catch (e) {
          return [`${c.command}/${c.name}/${s.name}: ${(e as Error).message}`];
        }
      }),
  );
  expect(wrong).toEqual([]);
});

// A write is only tested when a test reads back what it stored: every success
// case of a command that changes data ends with a Get step after the write. Reminders and client
// links have no command that reads them; test/flows/times-costs-reminders.test.ts,
// test/flows/links-merge.test.ts and test/flows/typed-links.test.ts read those back from the database.
// A login's effect (the session) is read back by test/flows/login.test.ts, which uses it.
const NO_READ_COMMAND = new Set([
  'SaveReminderOfTicket_V1',
  'DeleteReminderOfTicket_V1',
  'LinkClientsToTicket_V1',
  'UnlinkClientsFromTicket_V1',
  'LoginAcmpUser_V1',
  'TokenLoginAcmpUser_V1',
]);
const READS = /^(Get\w+)_V\d+$/;

test('every success case of a write command reads back its effect with a later Get step', () => {
  const writes = keys.filter((k) => !READS.test(k) && !NO_READ_COMMAND.has(k));
  const missing = cases
    .filter((c) => writes.includes(c.command) && resultCode(stepUnderTest(c).response) === 0)
    .filter(
      (c) =>
        !c.steps.slice(c.steps.indexOf(stepUnderTest(c)) + 1).some((s) => READS.test(s.command)),
    )
    .map((c) => `${c.command}/${c.name}`);
  expect(missing).toEqual([]);
});

test('the command table of docs/commands.md lists exactly the registry', () => {
  const commands = readFileSync(path.join(PROJECT_ROOT, 'docs/commands.md'), 'utf8');
  const rows = [...commands.matchAll(/^\| `(\w+_V\d+)` \|/gm)].map((m) => m[1]).sort();
  expect(rows).toEqual(keys);
});

test('docs/commands.md lists every built-in query with its fixed GUID', () => {
  const commands = readFileSync(path.join(PROJECT_ROOT, 'docs/commands.md'), 'utf8');
  for (const q of TICKET_QUERIES) expect(commands).toContain(`| \`${q.id}\` | ${q.name} |`);
});

test('GetCommandVersions answers from the registry: every version of every command', () => {
  const listed = [...registry.versions()]
    .flatMap(([name, versions]) => versions.map((v) => `${name}_V${v}`))
    .sort();
  expect(listed).toEqual(keys);
});

// Bounded strings and lists keep "report all errors" cheap.
test('every string and list a request can carry is bounded', () => {
  const unbounded: string[] = [];
  const files = readdirSync(JSON_DIR, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  );
  const defs = new Map<string, any>();
  for (const f of files) {
    const schema = JSON.parse(
      readFileSync(path.join(f.parentPath ?? (f as any).path, f.name), 'utf8'),
    );
    for (const [name, def] of Object.entries(schema.$defs))
      defs.set(`${schema.$id}#/$defs/${name}`, def);
  }
  const visit = (schema: any, where: string, seen: Set<string>): void => {
    if (schema.$ref) {
      if (seen.has(schema.$ref)) return;
      return visit(defs.get(schema.$ref), where, new Set([...seen, schema.$ref]));
    }
    if (
      schema.type === 'string' &&
      schema.maxLength === undefined &&
      !schema.enum &&
      !schema.pattern
    )
      unbounded.push(where);
    if (schema.type === 'array') {
      if (schema.maxItems === undefined) unbounded.push(where);
      visit(schema.items, `${where}[]`, seen);
    }
    for (const [name, sub] of Object.entries(schema.properties ?? {}))
      visit(sub, `${where}/${name}`, seen);
  };
  for (const key of keys) {
    const [name, version] = key.split('_V');
    visit({ $ref: `/${key}.json#/$defs/T${name}Request_V${version}` }, key, new Set());
  }
  expect(unbounded).toEqual([]);
});

test('every response ends with ResultCode and ResultMessage (FirstErrorMsg before them for list saves)', () => {
  const wrong = keys.filter((key) => {
    const shape = registry.commands.get(key)!.response;
    if (shape.kind !== 'object') return true;
    const fields = [...shape.fields.keys()];
    const tail = fields.slice(fields.indexOf('ResultCode'));
    const first = fields.indexOf('FirstErrorMsg');
    return (
      tail.join() !== 'ResultCode,ResultMessage' || (first >= 0 && first !== fields.length - 3)
    );
  });
  expect(wrong).toEqual([]);
});
