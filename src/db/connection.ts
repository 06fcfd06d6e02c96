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

/**
 * Runs a named prepared statement: PostgreSQL parses and plans it once per connection instead
 * of on every call. For the hot paths only; everything else goes through Knex. Inside a
 * transaction, Knex hands out the transaction's own connection.
 */
export async function preparedQuery<Row>(db: Knex | Knex.Transaction, name: string, text: string, values: unknown[]): Promise<Row[]> {
  const connection = await db.client.acquireConnection();
  try {
    const result = await connection.query({ name, text, values });
    return result.rows as Row[];
  } finally {
    await db.client.releaseConnection(connection);
  }
}
