// Seed files (docs/qa.md, "Seed files"): checked when read, loaded in one transaction, repeatable.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeed, readSeedFile } from '../../src/db/seed';
import { createTestDatabase, DEMO_SEED, type TestDatabase } from '../support/db';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.close());

const counts = async () => {
  const tables = [
    'assignees',
    'categories',
    'resolutions',
    'impacts',
    'contacts',
    'templates',
    'template_working_times',
    'template_costs',
    'assets',
    'clients',
    'email_monitors',
    'settings',
  ];
  return Object.fromEntries(
    await Promise.all(
      tables.map(async (t) => [t, Number((await database.db(t).count('* as n').first())!.n)]),
    ),
  );
};

test('loading the demo seed twice changes nothing the second time', async () => {
  await database.reset();
  const once = await counts();
  expect(once).toMatchObject({ assignees: 7, categories: 4, templates: 3, settings: 1 });
  await loadSeed(database.db, readSeedFile(DEMO_SEED));
  expect(await counts()).toEqual(once);
});

test('a seed with a typo is refused with the place named, and nothing is loaded', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-seed-'));
  const file = path.join(dir, 'bad.json');
  writeFileSync(
    file,
    JSON.stringify({ Users: [{ Id: '{10000000-0000-4000-8000-000000000009}', Nmae: 'Typo' }] }),
  );
  expect(() => readSeedFile(file)).toThrow(
    /bad\.json is not a valid seed file: .*\/Users\/0 must have required property 'Name'.*\(Nmae\)/,
  );
});

test('a seed that breaks a reference rolls back completely', async () => {
  await database.reset();
  const before = await counts();
  const seed = {
    Users: [{ Id: '{10000000-0000-4000-8000-000000000009}', Name: 'New user' }],
    Categories: [
      {
        Id: '{30000000-0000-4000-8000-000000000009}',
        Name: 'Orphan',
        ParentId: '{30000000-0000-4000-8000-0000000000FF}',
      },
    ],
  };
  await expect(loadSeed(database.db, seed)).rejects.toThrow();
  expect(await counts()).toEqual(before);
});
