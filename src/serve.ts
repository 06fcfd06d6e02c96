// One serving gateway over a prepared database: the app with its bus, communication log,
// metrics and JSON logs, and how it closes. The same in a single process (main.ts) and in each
// worker (cluster.ts), so that nothing is wired twice.
import type { Server } from 'node:http';
import type express from 'express';
import type { Knex } from 'knex';
import type pino from 'pino';
import { buildApp } from './app';
import { Bus } from './bus/bus';
import type { Registry } from './commands/registry';
import type { Config } from './config';
import { CallerCache } from './identity/caller-cache';
import { type CommunicationLog, startCommunicationLog } from './observability/communication-log';
import { exchangeLogListener } from './observability/exchange';
import { coreLogger } from './observability/logger';
import { createMetrics, type GatewayMetrics } from './observability/metrics';

export type DatabaseState = 'up' | 'recovering';

export interface Serving {
  app: express.Express;
  bus: Bus;
  commlog?: CommunicationLog;
  callers: CallerCache;
  metrics: GatewayMetrics;
}

/** The embedded database's supervisor as this process knows it (the primary tells its workers). */
export interface DatabaseWatch {
  state?: () => DatabaseState;
  restarts?: () => number;
  /** In a worker: GET /metrics answers for every worker (the primary aggregates). */
  clusterMetrics?: () => Promise<string>;
}

export function serveGateway(
  config: Config,
  db: Knex,
  registry: Registry,
  logger: pino.Logger,
  database: DatabaseWatch = {},
): Serving {
  const log = coreLogger(logger);
  const bus = new Bus(db, config.busLimits, log);
  const callers = CallerCache.start(db, log);
  const commlog = startCommunicationLog(db, config.communicationLog);
  const metrics = createMetrics({
    db,
    commandKeys: registry.commands,
    authMode: config.authMode,
    token: config.metricsToken,
    limits: config.limits,
    databaseRestarts: database.restarts,
    clusterMetrics: database.clusterMetrics,
    bus,
  });
  const exchangeListeners = [exchangeLogListener(logger), ...(commlog ? [commlog.listener] : [])];
  const app = buildApp({
    db,
    registry,
    bodyLimit: config.bodyLimit,
    authMode: config.authMode,
    log,
    databaseState: database.state,
    limits: config.limits,
    bus,
    metrics,
    exchangeListeners,
    rateLimits: config.rateLimits,
  });
  return { app, bus, commlog, callers, metrics };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Closes a serving gateway within about 5 s: answers the long polls still waiting (so the server
 * need not wait for them) and ends the LISTEN connection, closes the server (the connections of
 * requests that hang too), writes the last exchanges to the communication log, stops listening
 * for identity changes, closes the pool.
 */
export async function closeGateway(
  server: Server,
  serving: Serving | undefined,
  db: Knex | undefined,
): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.race([serving?.bus.close(), delay(1000)]);
  await Promise.race([closed, delay(2000)]);
  server.closeAllConnections();
  await Promise.race([serving?.commlog?.close(), delay(1000)]);
  await Promise.race([serving?.callers.close(), delay(1000)]);
  await Promise.race([db?.destroy().catch(() => {}), delay(1000)]);
}
