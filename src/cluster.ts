// ACMP_WORKERS > 1: several gateway processes on one port (node:cluster). The primary (main.ts)
// takes the port, starts the embedded PostgreSQL, migrates and seeds once, then forks the workers
// here; each worker serves HTTP over its own pool. Sessions, tokens, the SICS bus (LISTEN/NOTIFY)
// and rate limits are in PostgreSQL, so any worker answers any client.
import cluster, { Worker } from 'node:cluster';
import { createServer, Server } from 'http';
import path from 'path';
import type { Knex } from 'knex';
import { buildApp } from './app';
import { Bus } from './bus/bus';
import { buildRegistry } from './commands/registry';
import { Config, PROJECT_ROOT } from './config';
import { connect } from './db/connection';

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Which process answered: operators see the load spread, tests see that any worker will do. */
export const WORKER_HEADER = 'X-ACMP-Worker';

type DatabaseState = 'up' | 'recovering';
/** primary -> worker: the embedded database's state, for /health. */
interface StateMessage {
  databaseState: DatabaseState;
}

/**
 * Closes a serving gateway within about 4 s: answers the long polls still waiting (so the server
 * need not wait for them) and ends the LISTEN connection, closes the server (the connections of
 * requests that hang too) and the pool. The same in a single process and in each worker.
 */
export async function closeGateway(server: Server, bus: Bus | undefined, db: Knex | undefined): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.race([bus?.close(), delay(1000)]);
  await Promise.race([closed, delay(2000)]);
  server.closeAllConnections();
  await Promise.race([db?.destroy().catch(() => {}), delay(1000)]);
}

export interface Workers {
  /** Resolves once as many workers listen as asked for. */
  ready: Promise<void>;
  /** SIGTERM to every worker, each closes as above; one still running after 6 s is killed. */
  stop(): Promise<void>;
}

/**
 * Forks `config.workers` workers on the database at `databaseUrl`. A worker that dies is replaced after a backoff (0.5 s, doubled for each death within the
 * last minute, at most 30 s); `databaseState` (the embedded database's supervisor) reaches their /health.
 */
export function startWorkers(config: Config, databaseUrl: string, databaseState?: () => DatabaseState): Workers {
  let stopping = false;
  const deaths: number[] = [];
  let state: DatabaseState = databaseState?.() ?? 'up';
  const fork = () => cluster.fork({ DATABASE_URL: databaseUrl });
  const tell = (worker: Worker) => worker.isConnected() && worker.send({ databaseState: state } satisfies StateMessage);

  cluster.on('online', tell);
  const watch = setInterval(() => {
    const now = databaseState?.() ?? 'up';
    if (now === state) return;
    state = now;
    for (const worker of Object.values(cluster.workers ?? {})) if (worker) tell(worker);
  }, 200);
  watch.unref();

  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    const now = Date.now();
    deaths.push(now);
    while (deaths[0] < now - 60_000) deaths.shift();
    const wait = Math.min(500 * 2 ** (deaths.length - 1), 30_000);
    console.error(`acmp-gateway: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${wait / 1000} s`);
    setTimeout(() => {
      if (stopping) return;
      const next = fork();
      next.once('listening', () => console.log(`acmp-gateway: worker ${next.process.pid} serves (replacing ${worker.process.pid})`));
    }, wait).unref();
  });

  // Ready when as many workers listen as asked for (a replacement counts for one that died starting).
  const ready = new Promise<void>((resolve) => {
    let count = 0;
    const counted = () => ++count === config.workers && (cluster.off('listening', counted), resolve());
    cluster.on('listening', counted);
  });
  for (let i = 0; i < config.workers; i++) fork();
  return {
    ready,
    async stop() {
      stopping = true;
      clearInterval(watch);
      const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
      const exited = running.map((w) => new Promise((resolve) => (w.isDead() ? resolve(undefined) : w.once('exit', resolve))));
      for (const w of running) w.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(exited), new Promise((resolve) => (timer = setTimeout(resolve, 6000)))]);
      clearTimeout(timer);
      for (const w of running) if (!w.isDead()) w.process.kill('SIGKILL');
    },
  };
}

/** A worker: the app over the database the primary prepared (DATABASE_URL), on the shared port. */
export async function runWorker(config: Config): Promise<void> {
  const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));
  const db = connect(config.databaseUrl!, { poolMax: config.dbPoolMax, queryTimeoutMs: config.dbQueryTimeoutMs });
  const bus = new Bus(db, config.busLimits);
  let databaseState: DatabaseState = 'up';
  process.on('message', (m: Partial<StateMessage>) => m?.databaseState && (databaseState = m.databaseState));
  const app = buildApp({
    db,
    registry,
    bodyLimit: config.bodyLimit,
    authMode: config.authMode,
    databaseState: () => databaseState,
    limits: config.limits,
    bus,
    rateLimits: config.rateLimits,
  });
  const pid = String(process.pid);
  const server = createServer((req, res) => {
    res.setHeader(WORKER_HEADER, pid);
    app(req, res);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await closeGateway(server, bus, db);
    process.exit(0);
  };
  // The primary sends SIGTERM; Ctrl-C reaches every process of the group; a primary that is gone
  // (killed) closes the IPC channel: each ends this worker the same clean way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  process.on('disconnect', () => void stop());
  server.listen(config.port, config.host);
}
