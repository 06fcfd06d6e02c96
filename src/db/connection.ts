import knex, { Knex } from 'knex';
import pg from 'pg';
import { migrationSource } from './migrations';

// numeric stays a string (exact money); timestamptz becomes a Date (the default).
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
// int8 (count(*)) fits a JS number for any count this gateway produces.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function connect(url: string, options: { poolMax?: number; searchPath?: string } = {}): Knex {
  return knex({
    client: 'pg',
    connection: url,
    searchPath: options.searchPath ? [options.searchPath] : undefined,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Without a database, fail fast with ResultCode 19 instead of queueing for a minute.
    acquireConnectionTimeout: 5000,
  });
}

export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/** True when the database answers a trivial query. */
export async function ping(db: Knex): Promise<boolean> {
  try {
    await db.raw('select 1');
    return true;
  } catch {
    return false;
  }
}
