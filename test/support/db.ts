// A schema of its own per test file, migrated, with helpers to reset it to a known seed.

import path from 'node:path';
import type { Knex } from 'knex';
import { PROJECT_ROOT } from '../../src/config';
import { connect, migrate } from '../../src/db/connection';
import { loadSeed, readSeedFile, type Seed } from '../../src/db/seed';

export const DEMO_SEED = path.join(PROJECT_ROOT, 'fixtures/seed/demo.json');

export interface TestDatabase {
  db: Knex;
  /** The schema this file works in (first on the search_path). */
  schema: string;
  /** Empties every table, restarts ticket numbers at 1 and loads the demo seed plus `extra`. */
  reset(...extra: Seed[]): Promise<void>;
  close(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url)
    throw new Error(
      'TEST_DATABASE_URL is not set: run the tests through jest (global-setup starts PostgreSQL)',
    );
  const schema = `test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = connect(url, { poolMax: 1 });
  await admin.raw(`create schema ${schema}`);
  await admin.destroy();
  const db = connect(url, { searchPath: schema, poolMax: 20 });
  await migrate(db);
  const tables: string[] = (
    await db.raw(
      `select tablename from pg_tables where schemaname = ? and tablename not like 'knex_%'`,
      [schema],
    )
  ).rows.map((r: { tablename: string }) => r.tablename);
  const demo = readSeedFile(DEMO_SEED);
  return {
    db,
    schema,
    async reset(...extra: Seed[]) {
      await db.raw(`truncate ${tables.map((t) => `"${t}"`).join(', ')} restart identity cascade`);
      await db.raw('alter sequence ticket_number_seq restart');
      await loadSeed(db, demo);
      for (const seed of extra) await loadSeed(db, seed);
    },
    async close() {
      await db.raw(`drop schema ${schema} cascade`);
      await db.destroy();
    },
  };
}
