// The real app on an ephemeral port, over a test database.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildApp } from '../../src/app';
import { Bus } from '../../src/bus/bus';
import type { BusLimits } from '../../src/bus/limits';
import { buildRegistry, type Registry } from '../../src/commands/registry';
import { type AuthMode, PROJECT_ROOT, type RateLimits } from '../../src/config';
import { connect } from '../../src/db/connection';
import { CallerCache } from '../../src/identity/caller-cache';
import type { ExchangeListener } from '../../src/observability/exchange';
import type { Logger } from '../../src/observability/logger';
import {
  createMetrics,
  type GatewayMetrics,
  type MetricsOptions,
} from '../../src/observability/metrics';
import { createTestDatabase, type TestDatabase } from './db';

let registry: Registry | undefined;
export function testRegistry(): Registry {
  registry ??= buildRegistry(path.join(PROJECT_ROOT, 'schemas'));
  return registry;
}

export interface TestGateway extends TestDatabase {
  url: string;
  /** Posts an ICQL document to /acmp. */
  post(
    xml: string | Uint8Array,
    headers?: Record<string, string>,
  ): Promise<{ status: number; resultCode: number; body: string; headers: Headers }>;
  /** The SICS bus of this gateway (docs/protocol.md §8.2); stop() closes it. */
  bus: Bus;
  /** GET /metrics and its counters, when asked for (options.metrics). */
  metrics?: GatewayMetrics;
  /**
   * Resolves once this gateway has heard of every identity change committed before the call
   * (caller-cache.ts): a test that ends a session or edits a user in SQL waits for it, as a real
   * client would wait the milliseconds the notification takes.
   */
  settled(): Promise<void>;
  /** The callers this gateway keeps in memory (src/identity/caller-cache.ts). */
  callers: CallerCache;
  /** Closes the bus and the server; the database too unless it was passed in (its owner closes it). */
  stop(): Promise<void>;
}

export interface TestGatewayOptions {
  /** Another gateway instance over this database (the same schema, a pool of its own): as a second process would. */
  database?: TestDatabase;
  busLimits?: BusLimits;
  /** Told of every finished exchange, as the communication log and the metrics are. */
  exchangeListeners?: ExchangeListener[];
  /** Serve GET /metrics (src/observability/metrics.ts), with these options. */
  metrics?: Partial<MetricsOptions>;
  /** The core's logger; by default the lines are kept in memory, unread. */
  log?: Logger;
  /** ACMP_RATE_LIMIT_* as loadConfig reads them; absent: no limit. */
  rateLimits?: RateLimits;
}

/** Fixtures run in open mode (the default on loopback); authentication tests ask for `required`. */
export async function startTestGateway(
  authMode: AuthMode = 'open',
  options: TestGatewayOptions = {},
): Promise<TestGateway> {
  const own =
    options.database &&
    connect(process.env.TEST_DATABASE_URL!, { searchPath: options.database.schema, poolMax: 20 });
  const database = options.database
    ? { ...options.database, db: own! }
    : await createTestDatabase();
  const logged: unknown[] = [];
  const log = options.log ?? ((m: string, e?: unknown) => logged.push([m, e]));
  const bus = new Bus(database.db, options.busLimits, log);
  const metrics =
    options.metrics &&
    createMetrics({
      db: database.db,
      commandKeys: testRegistry().commands,
      authMode,
      bus,
      ...options.metrics,
    });
  // As the gateway runs: callers kept in memory for a second, dropped on every identity change.
  const callers = CallerCache.start(database.db, log);
  await callers.ready;
  const app = buildApp({
    db: database.db,
    registry: testRegistry(),
    bodyLimit: '8mb',
    authMode,
    log,
    bus,
    exchangeListeners: options.exchangeListeners,
    metrics,
    rateLimits: options.rateLimits,
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...database,
    url,
    bus,
    metrics,
    async post(xml, headers = { 'Content-Type': 'text/xml; charset=utf-8' }) {
      const res = await fetch(`${url}/acmp`, { method: 'POST', body: xml, headers });
      const body = await res.text();
      return {
        status: res.status,
        resultCode: Number(res.headers.get('x-acmp-result-code')),
        body,
        headers: res.headers,
      };
    },
    settled: () => callers.settled(),
    callers,
    async stop() {
      await bus.close();
      await callers.close();
      await new Promise((resolve) => server.close(resolve));
      await (own ? own.destroy() : database.close());
    },
  };
}

export { requestEnvelope as request } from '../../src/tools/request-envelope';
