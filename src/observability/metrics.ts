// GET /metrics in the Prometheus text format (prom-client). Its own Registry per app, so that
// tests can build several. Counters follow the finished exchanges (an ExchangeListener); what
// lives in the database (sessions, bus queues) is read at scrape time by one short query, shared
// by the scrapes of one second, so that scraping never loads the database.
import { createHash, timingSafeEqual } from 'node:crypto';
import { type Request, Router } from 'express';
import type { Knex } from 'knex';
import {
  Counter,
  collectDefaultMetrics,
  Gauge,
  Histogram,
  Registry as MetricsRegistry,
} from 'prom-client';
import type { Sweep } from '../bus/store';
import type { AuthMode } from '../config';
import { QUERY_TIMEOUT_EVENT } from '../db/connection';
import { DEFAULT_IDENTITY_LIMITS, type IdentityLimits } from '../identity/limits';
import { SESSION_HEADER, sessionUser } from '../identity/sessions';
import { callerOf } from '../identity/users';
import type { ExchangeListener } from './exchange';

export const METRICS_PATH = '/metrics';

/** Latency buckets in seconds, from 1 ms to 5 s. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** Sessions and queue depths are read at most this often, and given up after SCRAPE_QUERY_TIMEOUT_MS. */
export const DATABASE_READ_CACHE_MS = 1000;
export const SCRAPE_QUERY_TIMEOUT_MS = 500;

export interface MetricsOptions {
  db: Knex;
  /** The served command keys (SaveTicket_V4 …): they are labels; anything else a client sends counts as "unknown" (bounded label values). */
  commandKeys: { has(key: string): boolean };
  authMode: AuthMode;
  /** ACMP_METRICS_TOKEN: `Authorization: Bearer <token>` may scrape when authentication is required. */
  token?: string;
  limits?: IdentityLimits;
  /** The embedded database supervisor's restart count; absent with DATABASE_URL. */
  databaseRestarts?: () => number;
  /** prom-client's process metrics (CPU, memory, event loop, GC); on unless false. */
  processMetrics?: boolean;
  /** In a worker of several (ACMP_WORKERS > 1): every worker's metrics, aggregated by the primary (src/cluster.ts). */
  clusterMetrics?: () => Promise<string>;
  /** The SICS bus, whose sweeps of idle routers and targets are counted. */
  bus?: { onSweep(listener: (s: Sweep) => void): void };
}

export interface GatewayMetrics {
  registry: MetricsRegistry;
  /** Counts every finished exchange but the scrapes themselves. */
  listener: ExchangeListener;
  /** GET /metrics. */
  router: Router;
}

interface DatabaseSnapshot {
  sessions: number;
  queues: { user: string; target: string; messages: number; dead: number }[];
}

export function createMetrics({
  db,
  commandKeys,
  authMode,
  token,
  limits = DEFAULT_IDENTITY_LIMITS,
  databaseRestarts,
  processMetrics = true,
  clusterMetrics,
  bus,
}: MetricsOptions): GatewayMetrics {
  const registry = new MetricsRegistry();
  if (processMetrics) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const requests = new Counter({
    name: 'acmp_requests_total',
    help: 'ACMP commands answered, by transport, command (<Command>_V<N>; "" when none could be read, "unknown" when not served) and ResultCode; a batch counts each of its commands',
    labelNames: ['transport', 'command', 'result_code'],
    registers,
  });
  const duration = new Histogram({
    name: 'acmp_request_duration_seconds',
    help: 'Time from request to answer, by transport and command; each command of a batch observes the whole batch',
    labelNames: ['transport', 'command'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const responses = new Counter({
    name: 'acmp_http_responses_total',
    help: 'HTTP answers by transport (xml, soap, json, sics, http) and status code, /metrics excepted',
    labelNames: ['transport', 'status'],
    registers,
  });
  const queryTimeouts = new Counter({
    name: 'acmp_db_query_timeouts_total',
    help: 'Queries PostgreSQL did not answer within ACMP_DB_QUERY_TIMEOUT_MS (each answered ResultCode 19)',
    registers,
  });
  db.client.on(QUERY_TIMEOUT_EVENT, () => queryTimeouts.inc());

  new Gauge({
    name: 'acmp_db_pool_connections',
    help: 'Database pool connections in use by a query or transaction (used) and idle in the pool (free)',
    labelNames: ['state'],
    registers,
    collect() {
      const pool = db.client.pool; // tarn; absent once destroyed
      this.set({ state: 'used' }, pool?.numUsed() ?? 0);
      this.set({ state: 'free' }, pool?.numFree() ?? 0);
    },
  });
  new Gauge({
    name: 'acmp_db_pool_pending_acquires',
    help: 'Queries waiting for a free database connection',
    registers,
    collect() {
      this.set(db.client.pool?.numPendingAcquires() ?? 0);
    },
  });

  const readDatabase = cachedSnapshot(db, limits);
  new Gauge({
    name: 'acmp_sessions_active',
    help: 'Sessions alive now (used within the idle time, before their end, user not disabled)',
    registers,
    aggregator: 'max', // every worker reads the same database: not a sum
    async collect() {
      const snapshot = await readDatabase();
      this.reset();
      if (snapshot) this.set(snapshot.sessions);
    },
  });
  new Gauge({
    name: 'acmp_bus_queue_messages',
    help: 'Messages waiting (not expired, not dead letters; leased ones included) in each SICS bus target, by its user and name',
    labelNames: ['user', 'target'],
    registers,
    aggregator: 'max',
    async collect() {
      const snapshot = await readDatabase();
      this.reset();
      for (const q of snapshot?.queues ?? [])
        this.set({ user: q.user, target: q.target }, q.messages);
    },
  });
  new Gauge({
    name: 'acmp_sics_dead_letters',
    help: 'Dead letters (delivered ACMP_SICS_MAX_DELIVERIES times, never acknowledged) waiting for an administrator in each SICS bus target, by its user and name',
    labelNames: ['user', 'target'],
    registers,
    aggregator: 'max',
    async collect() {
      const snapshot = await readDatabase();
      this.reset();
      for (const q of snapshot?.queues ?? [])
        if (q.dead) this.set({ user: q.user, target: q.target }, q.dead);
    },
  });
  if (bus) {
    const expired = new Counter({
      name: 'acmp_sics_idle_expired_total',
      help: 'Routers, targets and the messages they held, deleted because no client used them for ACMP_SICS_IDLE_MINUTES',
      labelNames: ['kind'],
      registers,
    });
    for (const kind of ['routers', 'targets', 'messages'] as const) expired.inc({ kind }, 0);
    bus.onSweep((s) => {
      for (const kind of ['routers', 'targets', 'messages'] as const)
        if (s[kind]) expired.inc({ kind }, s[kind]);
    });
  }
  new Gauge({
    name: 'acmp_metrics_database_read_ok',
    help: '1 when this scrape could read sessions and bus queues from the database, 0 when it timed out or failed',
    registers,
    aggregator: 'min',
    async collect() {
      this.set((await readDatabase()) ? 1 : 0);
    },
  });
  if (databaseRestarts) {
    new Counter({
      name: 'acmp_embedded_db_restarts_total',
      help: 'Times the embedded PostgreSQL died and was started again by the gateway',
      registers,
      aggregator: 'max', // the primary's count, told to every worker
      collect() {
        this.reset();
        this.inc(databaseRestarts());
      },
    });
  }

  const listener: ExchangeListener = (e) => {
    if (e.path === METRICS_PATH) return;
    responses.inc({ transport: e.transport, status: String(e.status) });
    if (e.transport === 'http') return; // health, OpenAPI, not found: no ACMP command
    const seconds = e.durationMs / 1000;
    const { commands: names, resultCode, resultCodes } = e.trace;
    (names.length ? names : ['']).forEach((name, i) => {
      const command = name === '' || commandKeys.has(name) ? name : 'unknown';
      const code = resultCodes?.[i] ?? resultCode;
      requests.inc({
        transport: e.transport,
        command,
        result_code: code === undefined ? '' : String(code),
      });
      duration.observe({ transport: e.transport, command }, seconds);
    });
  };

  // In a worker (ACMP_WORKERS > 1) a scrape answers for every worker: counters and histograms
  // summed by the primary (prom-client's AggregatorRegistry), whichever worker the scrape reached.
  const metricsText = async () => {
    if (!clusterMetrics) return registry.metrics();
    try {
      return await clusterMetrics();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return `# acmp-gateway: the workers' metrics could not be gathered (${reason}); these are worker ${process.pid}'s alone\n${await registry.metrics()}`;
    }
  };
  const router = Router();
  router.get(METRICS_PATH, async (req, res, next) => {
    try {
      const refused = await refusal(req, { db, authMode, token, limits });
      if (refused) {
        if (refused.status === 401)
          res.setHeader('WWW-Authenticate', 'Bearer realm="acmp-gateway metrics"');
        return void res.status(refused.status).type('text/plain').send(refused.message);
      }
      res.type(registry.contentType).send(await metricsText());
    } catch (error) {
      next(error);
    }
  });
  return { registry, listener, router };
}

/**
 * Who may scrape. Authentication open: anybody (whoever reaches the port may run every command
 * anyway). Required: a loopback peer that is not a proxy relaying someone else (no
 * X-Forwarded-For / Forwarded), `Authorization: Bearer <ACMP_METRICS_TOKEN>`, or the X-SICS-SESSION
 * of a user with the ADMIN permission.
 */
async function refusal(
  req: Request,
  {
    db,
    authMode,
    token,
    limits,
  }: { db: Knex; authMode: AuthMode; token?: string; limits: IdentityLimits },
): Promise<{ status: number; message: string } | undefined> {
  if (authMode === 'open') return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.get('Authorization') ?? '')?.[1];
  if (token && bearer && sameSecret(bearer, token)) return undefined;
  const peer = req.socket.remoteAddress ?? '';
  if (isLoopbackPeer(peer) && !req.get('X-Forwarded-For') && !req.get('Forwarded'))
    return undefined;
  const session = req.get(SESSION_HEADER)?.trim();
  const userId = session ? await sessionUser(db, session, limits.session) : undefined;
  const user = userId === undefined ? undefined : await callerOf(db, userId);
  if (user?.permissions.includes('ADMIN')) return undefined;
  if (user)
    return {
      status: 403,
      message: `/metrics needs the ADMIN permission, which user ${user.name} does not have.\n`,
    };
  return {
    status: 401,
    message: `/metrics needs ${token ? 'Authorization: Bearer <ACMP_METRICS_TOKEN>, or ' : ''}the X-SICS-SESSION of a user with the ADMIN permission${token ? '' : ' (or set ACMP_METRICS_TOKEN for your scraper)'}; it is open on loopback and when ACMP_AUTH=open.\n`,
  };
}

function sameSecret(sent: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(sent), digest(expected));
}

function isLoopbackPeer(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}

/**
 * Sessions and queue depths, read by one query at a time with a statement timeout, shared for
 * DATABASE_READ_CACHE_MS; a scrape waits at most SCRAPE_QUERY_TIMEOUT_MS and then reports nothing
 * for them (acmp_metrics_database_read_ok 0) rather than hang on a hung database.
 */
function cachedSnapshot(
  db: Knex,
  limits: IdentityLimits,
): () => Promise<DatabaseSnapshot | undefined> {
  let last: { at: number; snapshot: Promise<DatabaseSnapshot | undefined> } | undefined;
  let running: Promise<DatabaseSnapshot> | undefined;
  return () => {
    if (last && Date.now() - last.at < DATABASE_READ_CACHE_MS) return last.snapshot;
    running ??= readSnapshot(db, limits).finally(() => (running = undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>(
      (resolve) => (timer = setTimeout(resolve, SCRAPE_QUERY_TIMEOUT_MS, undefined)),
    );
    const snapshot = Promise.race([running, late])
      .catch(() => undefined)
      .finally(() => clearTimeout(timer));
    last = { at: Date.now(), snapshot };
    return snapshot;
  };
}

async function readSnapshot(db: Knex, limits: IdentityLimits): Promise<DatabaseSnapshot> {
  const rows: { kind: string; user_name: string; target: string; n: number; dead: number }[] =
    await db.transaction(async (trx) => {
      await trx.raw(`set local statement_timeout = ${SCRAPE_QUERY_TIMEOUT_MS * 2}`);
      const result = await trx.raw(
        `select 'sessions' as kind, '' as user_name, '' as target, count(*)::int as n, 0 as dead
         from sessions s join assignees a on a.id = s.user_id
        where not a.disabled and s.ends_at > now() and s.last_seen > now() - :idle::interval
       union all
       select 'queue', a.name, t.name, count(m.id) filter (where m.dead_at is null)::int,
              count(m.id) filter (where m.dead_at is not null)::int
         from bus_targets t join assignees a on a.id = t.user_id
         left join bus_messages m on m.target_id = t.id and m.expires_at > now()
        group by t.id, a.name, t.name`,
        { idle: `${Math.round(limits.session.idleMs)} milliseconds` },
      );
      return result.rows;
    });
  return {
    sessions: rows.find((r) => r.kind === 'sessions')?.n ?? 0,
    queues: rows
      .filter((r) => r.kind === 'queue')
      .map((r) => ({ user: r.user_name, target: r.target, messages: r.n, dead: r.dead })),
  };
}
