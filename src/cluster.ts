// ACMP_WORKERS > 1: several gateway processes on one port (node:cluster). The primary (main.ts)
// takes the port, starts the embedded PostgreSQL, migrates and seeds once, then forks the workers
// here; each worker serves HTTP over its own pool. Sessions, tokens, the SICS bus (LISTEN/NOTIFY)
// and rate limits are in PostgreSQL, so any worker answers any client.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import path from 'node:path';
import type pino from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { buildRegistry } from './commands/registry';
import { type Config, PROJECT_ROOT } from './config';
import { connect } from './db/connection';
import { createLogger, setDefaultLogger } from './observability/logger';
import { closeGateway, type DatabaseState, type DatabaseWatch, serveGateway } from './serve';

/** Which process answered: operators see the load spread, tests see that any worker will do. */
export const WORKER_HEADER = 'X-ACMP-Worker';

/** worker -> primary: a scrape of /metrics; primary -> worker: every worker's metrics, aggregated. */
const METRICS_REQUEST = 'acmp:metrics-request';
const METRICS_ANSWER = 'acmp:metrics-answer';
interface MetricsMessage {
  type: typeof METRICS_REQUEST | typeof METRICS_ANSWER;
  id: number;
  text?: string;
  error?: string;
}
/** A scrape that waits longer for the primary answers with its own worker's metrics. */
const CLUSTER_METRICS_TIMEOUT_MS = 6000;

/** primary -> worker: the embedded database's state and restarts, for /health and /metrics. */
interface StateMessage {
  databaseState: DatabaseState;
  databaseRestarts: number;
}

export interface Workers {
  /** Resolves once as many workers listen as asked for. */
  ready: Promise<void>;
  /** SIGTERM to every worker, each closes as above; one still running after 6 s is killed. */
  stop(): Promise<void>;
}

/**
 * Forks `config.workers` workers on the database at `databaseUrl`. A worker that dies is replaced after a backoff (0.5 s, doubled for each death within the
 * last minute, at most 30 s); `database` (the embedded database's supervisor) reaches their /health and /metrics.
 */
export function startWorkers(
  config: Config,
  databaseUrl: string,
  logger: pino.Logger,
  database: DatabaseWatch = {},
): Workers {
  let stopping = false;
  const deaths: number[] = [];
  const watched = (): StateMessage => ({
    databaseState: database.state?.() ?? 'up',
    databaseRestarts: database.restarts?.() ?? 0,
  });
  let state = watched();
  const fork = () => cluster.fork({ DATABASE_URL: databaseUrl });
  const tell = (worker: Worker) => worker.isConnected() && worker.send(state);

  cluster.on('online', tell);
  // A worker's scrape: the primary asks every worker for its registry and sums them (prom-client).
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker: Worker, m: MetricsMessage) => {
    if (m?.type !== METRICS_REQUEST) return;
    const answer = (reply: Partial<MetricsMessage>) =>
      worker.isConnected() && worker.send({ type: METRICS_ANSWER, id: m.id, ...reply });
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (e: Error) => answer({ error: e.message }),
    );
  });
  const watch = setInterval(() => {
    const now = watched();
    if (
      now.databaseState === state.databaseState &&
      now.databaseRestarts === state.databaseRestarts
    )
      return;
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
    logger.error(
      `acmp-gateway: worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another in ${wait / 1000} s`,
    );
    setTimeout(() => {
      if (stopping) return;
      const next = fork();
      next.once('listening', () =>
        logger.info(
          `acmp-gateway: worker ${next.process.pid} serves (replacing ${worker.process.pid})`,
        ),
      );
    }, wait).unref();
  });

  // Ready when as many workers listen as asked for (a replacement counts for one that died starting).
  const ready = new Promise<void>((resolve) => {
    let count = 0;
    const counted = () => {
      if (++count < config.workers) return;
      cluster.off('listening', counted);
      resolve();
    };
    cluster.on('listening', counted);
  });
  for (let i = 0; i < config.workers; i++) fork();
  return {
    ready,
    async stop() {
      stopping = true;
      clearInterval(watch);
      const running = Object.values(cluster.workers ?? {}).filter(
        (w): w is Worker => !!w && !w.isDead(),
      );
      const exited = running.map(
        (w) =>
          new Promise((resolve) => (w.isDead() ? resolve(undefined) : w.once('exit', resolve))),
      );
      for (const w of running) w.process.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(exited),
        new Promise((resolve) => (timer = setTimeout(resolve, 6000))),
      ]);
      clearTimeout(timer);
      for (const w of running) if (!w.isDead()) w.process.kill('SIGKILL');
    },
  };
}

/** A worker: the app over the database the primary prepared (DATABASE_URL), on the shared port. */
export async function runWorker(config: Config): Promise<void> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat }).child({
    worker: process.pid,
  });
  setDefaultLogger(logger);
  const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));
  const db = connect(config.databaseUrl!, {
    poolMax: config.dbPoolMax,
    queryTimeoutMs: config.dbQueryTimeoutMs,
  });
  let state: StateMessage = { databaseState: 'up', databaseRestarts: 0 };
  process.on('message', (m: Partial<StateMessage>) => {
    if (m?.databaseState) state = m as StateMessage;
  });
  const serving = serveGateway(config, db, registry, logger, {
    state: () => state.databaseState,
    restarts: () => state.databaseRestarts,
    clusterMetrics: askPrimaryForMetrics(),
  });
  // Answers the primary's AggregatorRegistry with this worker's registry.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([serving.metrics.registry]);
  const pid = String(process.pid);
  const server = createServer((req, res) => {
    res.setHeader(WORKER_HEADER, pid);
    serving.app(req, res);
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await closeGateway(server, serving, db);
    process.exit(0);
  };
  // The primary sends SIGTERM; Ctrl-C reaches every process of the group; a primary that is gone
  // (killed) closes the IPC channel: each ends this worker the same clean way.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => void stop());
  process.on('disconnect', () => void stop());
  server.listen(config.port, config.host);
}

/** In a worker: every worker's metrics, from the primary (which asks each worker for its registry). */
function askPrimaryForMetrics(): () => Promise<string> {
  const waiting = new Map<number, (m: MetricsMessage) => void>();
  let next = 0;
  process.on(
    'message',
    (m: MetricsMessage) => m?.type === METRICS_ANSWER && waiting.get(m.id)?.(m),
  );
  return () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(
        () =>
          done({
            type: METRICS_ANSWER,
            id,
            error: `the primary did not answer within ${CLUSTER_METRICS_TIMEOUT_MS / 1000} s`,
          }),
        CLUSTER_METRICS_TIMEOUT_MS,
      );
      const done = (m: MetricsMessage) => {
        clearTimeout(timer);
        waiting.delete(id);
        if (m.text !== undefined) resolve(m.text);
        else reject(new Error(m.error ?? 'no answer'));
      };
      waiting.set(id, done);
      process.send!({ type: METRICS_REQUEST, id });
    });
}
