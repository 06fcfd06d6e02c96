// buildApp(deps): the Express app, no listen (architecture guide).
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { Bus } from './bus/bus';
import type { Registry } from './commands/registry';
import type { AuthMode, RateLimits } from './config';
import { consoleRouter } from './console/route';
import { ping } from './db/connection';
import { rateLimiters } from './http/rate-limit';
import { openModeCaller } from './identity/caller';
import type { IdentityLimits } from './identity/limits';
import { type ExchangeListener, exchangeMiddleware, exchangeOf } from './observability/exchange';
import { consoleLogger, type Logger } from './observability/logger';
import type { GatewayMetrics } from './observability/metrics';
import { jsonRouter } from './transports/json/route';
import { acmpRouter, plainRefusal } from './transports/plain/route';
import { sicsRefusal, sicsRouter } from './transports/sics/routes';
import { sessionBeforeBody } from './transports/soap/envelope';
import { soapRefusal, soapRouter } from './transports/soap/route';

/** How long /health waits for PostgreSQL before it answers 503. */
export const HEALTH_PING_TIMEOUT_MS = 800;

export interface AppDeps {
  db: Knex;
  registry: Registry;
  bodyLimit: string;
  /** docs/protocol.md §5: `required` answers 7 without a session; `open` acts as Settings.ApiUserId without one. */
  authMode: AuthMode;
  log?: Logger;
  /** The embedded database's supervisor: 'recovering' while it restarts a server that died. */
  databaseState?: () => 'up' | 'recovering';
  /** Session and token lifetimes (ACMP_SESSION_IDLE_MINUTES …); the spec's defaults when absent. */
  limits?: IdentityLimits;
  /** The SICS bus (docs/protocol.md §8.2); its owner closes it (bus.close()). Absent: one with the default limits, closed by nobody. */
  bus?: Bus;
  /** Told of every finished exchange (communication log, metrics, JSON logs); X-Request-Id is always set. */
  exchangeListeners?: ExchangeListener[];
  /** GET /metrics and the counters behind it (src/observability/metrics.ts). */
  metrics?: GatewayMetrics;
  /** Requests per window per address and per session (ACMP_RATE_LIMIT_*); absent or 0: no limit. */
  rateLimits?: RateLimits;
}

export function buildApp({
  db,
  registry,
  bodyLimit,
  authMode,
  log = consoleLogger,
  databaseState,
  limits,
  bus,
  exchangeListeners = [],
  metrics,
  rateLimits,
}: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    exchangeMiddleware(metrics ? [...exchangeListeners, metrics.listener] : exchangeListeners),
  );
  // After the exchange middleware: a refused request has its X-Request-Id and is logged with its 35.
  const framing = {
    refusals: { xml: plainRefusal, soap: soapRefusal, sics: sicsRefusal },
    soapSession: sessionBeforeBody,
  };
  for (const limiter of rateLimiters(db, rateLimits, bodyLimit, log, framing)) app.use(limiter);
  // Without a session: open mode acts as Settings.ApiUserId; required mode has no caller (7).
  const pipeline = {
    db,
    registry,
    caller: authMode === 'open' ? () => openModeCaller(db) : undefined,
    limits,
  };
  app.use(acmpRouter(pipeline, bodyLimit, log));
  app.use(jsonRouter(pipeline, bodyLimit, log));
  app.use(soapRouter(pipeline, bodyLimit, log));
  // The bus always runs published commands as the SICS session's user: no open-mode caller.
  app.use(sicsRouter(bus ?? new Bus(db, undefined, log), { db, registry, limits }, bodyLimit, log));
  app.use(consoleRouter({ db, authMode, limits })); // GET /console: the communication log for administrators
  // /health answers within a second whatever the database does: a hung PostgreSQL counts as down.
  // One ping at a time: monitors polling a hung database do not fill the pool with waiting pings.
  let pinging: Promise<boolean> | undefined;
  app.get('/health', async (_req, res) => {
    if (databaseState?.() === 'recovering')
      return void res
        .status(503)
        .json({ status: 'degraded', database: 'recovering', commands: registry.commands.size });
    pinging ??= ping(db).finally(() => (pinging = undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>(
      (resolve) => (timer = setTimeout(resolve, HEALTH_PING_TIMEOUT_MS, false)),
    );
    const up = await Promise.race([pinging, late]);
    clearTimeout(timer);
    res.status(up ? 200 : 503).json({
      status: up ? 'ok' : 'degraded',
      database: up ? 'up' : 'down',
      commands: registry.commands.size,
    });
  });
  if (metrics) app.use(metrics.router);
  app.use((_req, res) =>
    res.status(404).json({
      error:
        'Not found: commands go to POST /acmp (ICQL), POST /soap (SOAP 1.1/1.2, WSDL at GET /soap?wsdl) or POST /api/v1/commands/<Command>_V<N> (JSON, described at GET /openapi.json), or through the SICS bus (POST /Session, /Publish, /Consume); health at GET /health',
    }),
  );
  // Never a stack trace on the wire.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log('unhandled HTTP error', err, exchangeOf(res)?.requestId);
    if (!res.headersSent) res.status(500).json({ error: 'Internal error' });
  });
  return app;
}
