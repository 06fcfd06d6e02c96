import knex, { type Knex } from 'knex';
import pg from 'pg';

// knex's own PostgreSQL client, extended below; knex has no typings for it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const KnexPgClient: new (
  config: Knex.Config,
) => {
  _query(connection: pg.Client, obj: unknown): Promise<unknown>;
  _stream(connection: pg.Client, obj: unknown, stream: unknown, options: unknown): Promise<unknown>;
  acquireConnection(): Promise<pg.Client>;
  releaseConnection(connection: pg.Client): Promise<unknown>;
  emit(event: string, ...args: unknown[]): boolean;
} = require('knex/lib/dialects/postgres');

import { defaultLogger } from '../observability/logger';
import { lostWhileCommitting, markCommitOutcomeUnknown, QUERY_TIMEOUT_MESSAGE } from './failures';
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

/** What knex hands its dialect's _query: the SQL, its bindings, pg options (a statement's name). */
interface QueryObject {
  sql: string;
  bindings?: unknown[];
  options?: Record<string, unknown>;
  response?: unknown;
}

type PgConnection = pg.Client & {
  __knex__disposed?: unknown;
  /** A BEGIN not sent yet: it goes with the next statement (withBegin). */
  __acmpBegin?: string;
  /** The pool's client that lent this connection. */
  __acmpClient?: { emit(event: string): boolean };
};

/** The protocol messages of pg's Connection a query writes (pg's own Query does the same). */
interface PgWire {
  parse(query: { text: string }): void;
  bind(config?: object): void;
  execute(config?: object): void;
}

/** The parts of pg's Query that are not in its typings. */
interface PgQueryInternals {
  text: string;
  requiresPreparation(): boolean;
  prepare(connection: PgWire): void;
}

const pgPrepare = (pg.Query.prototype as unknown as PgQueryInternals).prepare;

/** The first statement of a transaction, sent as knex sends it ('BEGIN;'), without the semicolon. */
const TRANSACTION_START = /^\s*BEGIN\b/i;
/** The end of a transaction that knex sends (not ROLLBACK TO SAVEPOINT). */
const TRANSACTION_END = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;
const COMMIT = /^\s*COMMIT\b/i;

/**
 * `statement` with the transaction's BEGIN in front of it, both written at once and answered
 * together: a transaction costs no round trip of its own. A statement with parameters or a name
 * goes through the extended protocol, and BEGIN goes before it there (Parse, Bind, Execute, with
 * one Sync after both); a plain one becomes `BEGIN; <statement>` in one simple query. Either way
 * pg answers the results of both, BEGIN's first.
 */
function withBegin(
  begin: string,
  config: pg.QueryConfig,
  callback: (error: Error | undefined, results: unknown) => void,
): pg.Query {
  const query = new pg.Query(config, callback as never);
  const q = query as unknown as PgQueryInternals;
  if (!q.requiresPreparation()) q.text = `${begin};\n${q.text}`;
  else
    q.prepare = function (this: PgQueryInternals, wire: PgWire) {
      wire.parse({ text: begin });
      wire.bind();
      wire.execute();
      pgPrepare.call(this, wire);
    };
  return query;
}

/**
 * Two things on top of knex's PostgreSQL client, both about a database that stops answering.
 *
 * A query that outlived pg's `query_timeout` leaves its connection busy with a server that may
 * never answer (a hung PostgreSQL), and the transaction's ROLLBACK would queue behind it. Ending
 * the connection makes the ROLLBACK fail at once, the pool drop the connection (never lent to
 * another request), and PostgreSQL abort the open transaction when it reads the end of the
 * connection, even if it wakes up and first runs the statement it was sent: no COMMIT follows.
 * Only a COMMIT that was sent and not answered leaves the outcome open: its error is marked
 * (failures.ts, lostWhileCommitting) so that the answer can say so. Every command that writes
 * therefore writes in a transaction, never in a lone autocommitted statement.
 *
 * knex starts a transaction with a BEGIN of its own round trip. Here BEGIN waits and travels with
 * the transaction's first statement (withBegin); a transaction that sent nothing ends without
 * sending COMMIT or ROLLBACK.
 */
class PgClientWithTimeouts extends KnexPgClient {
  _query(connection: PgConnection, obj: QueryObject): Promise<unknown> {
    const begin = connection.__acmpBegin;
    if (begin === undefined && TRANSACTION_START.test(obj.sql)) {
      connection.__acmpBegin = obj.sql.replace(/;\s*$/, '');
      obj.response = { command: 'BEGIN', rowCount: null, rows: [], fields: [] };
      return Promise.resolve(obj);
    }
    if (begin !== undefined) connection.__acmpBegin = undefined;
    if (begin !== undefined && TRANSACTION_END.test(obj.sql)) {
      const command = COMMIT.test(obj.sql) ? 'COMMIT' : 'ROLLBACK';
      obj.response = { command, rowCount: null, rows: [], fields: [] };
      return Promise.resolve(obj);
    }
    const sent =
      begin === undefined ? super._query(connection, obj) : afterBegin(connection, obj, begin);
    return sent.catch((error: Error) => {
      if (error?.message === QUERY_TIMEOUT_MESSAGE) {
        // On the pool's client: a transaction's client is a copy whose events nobody hears.
        (connection.__acmpClient ?? this).emit(QUERY_TIMEOUT_EVENT);
        connection.__knex__disposed = error;
        connection.end().catch(() => {});
      }
      if (COMMIT.test(obj.sql) && lostWhileCommitting(error)) markCommitOutcomeUnknown(error);
      throw error;
    });
  }

  async _stream(
    connection: PgConnection,
    obj: QueryObject,
    stream: unknown,
    options: unknown,
  ): Promise<unknown> {
    // A stream cannot carry BEGIN in front: it goes first, on its own.
    const begin = connection.__acmpBegin;
    if (begin !== undefined) {
      connection.__acmpBegin = undefined;
      await super._query(connection, { sql: begin });
    }
    return super._stream(connection, obj, stream, options);
  }

  async acquireConnection(): Promise<PgConnection> {
    const connection: PgConnection = await super.acquireConnection();
    connection.__acmpClient = this;
    return connection;
  }

  releaseConnection(connection: PgConnection): Promise<unknown> {
    // A BEGIN still waiting was never sent: nothing to end, and nothing to start for the next user.
    if (connection) connection.__acmpBegin = undefined;
    return super.releaseConnection(connection);
  }
}

/** knex's pg _query, with the transaction's BEGIN in front of the statement (withBegin). */
function afterBegin(connection: pg.Client, obj: QueryObject, begin: string): Promise<QueryObject> {
  const config = { text: obj.sql, values: obj.bindings ?? [], ...obj.options } as pg.QueryConfig;
  return new Promise((resolve, reject) => {
    connection.query(
      withBegin(begin, config, (error, results) => {
        if (error) return reject(error);
        const [, ...answers] = results as unknown[];
        obj.response = answers.length === 1 ? answers[0] : answers;
        resolve(obj);
      }),
    );
  });
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
