import knex, { type Knex } from 'knex';
import pg from 'pg';

// knex's own PostgreSQL client, extended below; knex has no typings for it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexPgClient: new (
  config: Knex.Config,
) => {
  _query(connection: pg.Client, obj: unknown): Promise<unknown>;
  emit(event: string, ...args: unknown[]): boolean;
} = require('knex/lib/dialects/postgres');

import { defaultLogger } from '../observability/logger';
import { QUERY_TIMEOUT_MESSAGE } from './failures';
import { migrationSource } from './migrations';

// numeric stays a string (exact money); timestamptz becomes a Date (the default).
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => v);
// int8 (count(*)) fits a JS number for any count this gateway produces.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

/**
 * Emitted on `db.client` each time a query outlives the query timeout: the metrics count it
 * (src/observability/metrics.ts) without the database layer knowing about them.
 */
export const QUERY_TIMEOUT_EVENT = 'acmp:query-timeout';

/** Default for ACMP_DB_QUERY_TIMEOUT_MS: how long one query may wait for PostgreSQL's answer. */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/**
 * A query that outlived pg's `query_timeout` leaves its connection busy with a server that may
 * never answer (a hung PostgreSQL), and the transaction's ROLLBACK would queue behind it. Ending
 * the connection makes the ROLLBACK fail at once, the pool drop the connection, and PostgreSQL
 * abort the open transaction: no COMMIT can follow. (A lone statement already sent outside a
 * transaction may still run once PostgreSQL wakes up, whole: hence "nothing was half-written".)
 */
class PgClientWithTimeouts extends KnexPgClient {
  _query(connection: pg.Client, obj: unknown): Promise<unknown> {
    return super._query(connection, obj).catch((error: Error) => {
      if (error?.message === QUERY_TIMEOUT_MESSAGE) {
        this.emit(QUERY_TIMEOUT_EVENT);
        (connection as unknown as { __knex__disposed?: unknown }).__knex__disposed = error;
        connection.end().catch(() => {});
      }
      throw error;
    });
  }
}

export interface ConnectOptions {
  poolMax?: number;
  searchPath?: string;
  /** A query with no answer within this time fails (ResultCode 19); the same bounds opening a connection. 0: no limit (tools). */
  queryTimeoutMs?: number;
}

export function connect(url: string, options: ConnectOptions = {}): Knex {
  const timeout = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
  return knex({
    client: PgClientWithTimeouts as unknown as typeof Knex.Client,
    connection: { connectionString: url, query_timeout: timeout, connectionTimeoutMillis: timeout },
    searchPath: options.searchPath ? [options.searchPath] : undefined,
    pool: { min: 0, max: options.poolMax ?? 10 },
    // Without a database, fail fast with ResultCode 19 instead of queueing for a minute.
    acquireConnectionTimeout: 5000,
    // Knex's own remarks ("Connection Error: …") go to the JSON log, not to console.log.
    log: {
      warn: (message: unknown) => defaultLogger().warn({ component: 'knex' }, String(message)),
      error: (message: unknown) => defaultLogger().error({ component: 'knex' }, String(message)),
      deprecate: (message: unknown) => defaultLogger().warn({ component: 'knex' }, String(message)),
      debug: (message: unknown) => defaultLogger().debug({ component: 'knex' }, String(message)),
    },
  });
}

export async function migrate(db: Knex): Promise<void> {
  await db.migrate.latest({ migrationSource });
}

/** The advisory lock a gateway holds while it migrates and seeds a database ('acmp'). */
export const START_LOCK = 0x61636d70;

/**
 * Runs `prepare` (migrations, seed) while holding START_LOCK on a connection of its own: gateways
 * starting together on one database take turns, instead of one failing on Knex's migration lock
 * or both loading the seed. Ending that connection releases the lock, whatever happened.
 */
export async function underStartLock<T>(
  url: string,
  prepare: () => Promise<T>,
  waiting: () => void,
): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: DEFAULT_QUERY_TIMEOUT_MS,
  });
  await client.connect();
  try {
    if (!(await client.query('select pg_try_advisory_lock($1) as got', [START_LOCK])).rows[0].got) {
      waiting();
      await client.query('select pg_advisory_lock($1)', [START_LOCK]);
    }
    return await prepare();
  } finally {
    await client.end().catch(() => {});
  }
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
export async function preparedQuery<Row>(
  db: Knex | Knex.Transaction,
  name: string,
  text: string,
  values: unknown[],
): Promise<Row[]> {
  const connection = await db.client.acquireConnection();
  try {
    // Through the client's _query, so that a timed-out statement ends its connection as any other.
    const obj = { sql: text, bindings: values, options: { name } } as {
      response?: { rows: Row[] };
    };
    await db.client._query(connection, obj);
    return obj.response!.rows;
  } finally {
    await db.client.releaseConnection(connection);
  }
}
