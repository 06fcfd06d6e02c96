// Typed configuration from the environment, checked at start.
import os from 'node:os';
import path from 'node:path';
import type { BusLimits } from './bus/limits';
import type { IdentityLimits } from './identity/limits';
import { LOG_LEVELS, type LogFormat, type LogLevel } from './observability/logger';

export interface Config {
  host: string;
  port: number;
  /** Another PostgreSQL server; when unset the gateway runs its embedded one. */
  databaseUrl?: string;
  /** Where the embedded server keeps its data (git ignores data/). */
  dataDir: string;
  embeddedPort: number;
  /** Largest accepted request body, as the express body parser takes it ("8mb"). */
  bodyLimit: string;
  /** The seed loaded into an empty database. */
  seedFile: string;
  dbPoolMax: number;
  /** ACMP_DB_QUERY_TIMEOUT_MS: a query PostgreSQL does not answer within this time answers 19. */
  dbQueryTimeoutMs: number;
  /** ACMP_AUTH (docs/protocol.md §5): `required` (a session for every command but meta and login) or `open` (no session: Settings.ApiUserId). */
  authMode: AuthMode;
  /** Session idle and absolute lifetimes and token lifetime (docs/protocol.md §5: configurable). */
  limits: IdentityLimits;
  /** SICS bus limits (docs/protocol.md §8.2): ACMP_SICS_MAX_MESSAGES_PER_TARGET, ACMP_SICS_MESSAGE_TTL_SECONDS, ACMP_SICS_MAX_ROUTERS, ACMP_SICS_MAX_TARGETS, ACMP_SICS_MAX_DELIVERIES, ACMP_SICS_IDLE_MINUTES. */
  busLimits: BusLimits;
  /** The communication log: ACMP_LOG, ACMP_LOG_RETENTION_DAYS, ACMP_LOG_MAX_MB, ACMP_LOG_MAX_BODY_BYTES. */
  communicationLog: CommunicationLogSettings;
  /** ACMP_LOG_LEVEL (trace … fatal, silent); info by default. */
  logLevel: LogLevel;
  /** ACMP_LOG_FORMAT json|pretty; unset: pretty on a terminal, JSON lines otherwise. */
  logFormat?: LogFormat;
  /** ACMP_METRICS_TOKEN: a scraper sending `Authorization: Bearer <it>` may read /metrics when authentication is required. */
  metricsToken?: string;
  /** ACMP_WORKERS: gateway processes serving the one port (node:cluster); 1 runs everything in this process. */
  workers: number;
  /** Optional request limits per client address and per session (ACMP_RATE_LIMIT_*); off when neither is set. */
  rateLimits: RateLimits;
  /** Set when open mode runs beyond loopback (explicit ACMP_AUTH=open): printed at start. */
  authWarning?: string;
}

export type AuthMode = 'required' | 'open';

export interface CommunicationLogSettings {
  enabled: boolean;
  retentionDays: number;
  /** Size budget of the table (rows, indexes, TOAST); the oldest rows go beyond it. */
  maxBytes: number;
  /** The most of each body stored, after redaction; longer ones are cut and say so. */
  maxBodyBytes: number;
}

export interface RateLimits {
  /** Requests per window from one client address; 0: no limit. */
  perAddress: number;
  /** Requests per window with one session (X-SICS-SESSION or the SOAP SessionId header); 0: no limit. */
  perSession: number;
  windowSeconds: number;
  /** Whether clients on loopback are limited too (ACMP_RATE_LIMIT_LOOPBACK=on); they are exempt by default. */
  loopback: boolean;
}

/** Loopback only: 127.0.0.0/8, ::1, localhost. Anything else (0.0.0.0 too) reaches other machines. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return (
    h === 'localhost' ||
    h === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

export const PROJECT_ROOT = findRoot();

function findRoot(): string {
  // src/ and dist/src/ both sit below the folder holding package.json.
  let dir = __dirname;
  while (!require('node:fs').existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min = 1, max = 65535): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      problems.push(`${name} must be a whole number from ${min} to ${max}, not "${raw}"`);
    return n;
  };
  const config: Config = {
    host: env.HOST || '127.0.0.1',
    port: int('PORT', 3900, 0),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: path.resolve(PROJECT_ROOT, env.ACMP_DATA_DIR || 'data'),
    embeddedPort: int('ACMP_EMBEDDED_PG_PORT', 54329),
    bodyLimit: env.ACMP_BODY_LIMIT || '8mb',
    seedFile: path.resolve(PROJECT_ROOT, env.ACMP_SEED_FILE || 'fixtures/seed/demo.json'),
    dbPoolMax: int('ACMP_DB_POOL_MAX', 10, 1, 1000),
    dbQueryTimeoutMs: int('ACMP_DB_QUERY_TIMEOUT_MS', 10_000, 100, 3_600_000),
    authMode: 'required',
    logLevel: 'info',
    limits: {
      session: {
        idleMs: int('ACMP_SESSION_IDLE_MINUTES', 30, 1, 10_080) * 60_000,
        absoluteMs: int('ACMP_SESSION_MAX_HOURS', 12, 1, 720) * 3_600_000,
      },
      tokenLifetimeMs: int('ACMP_TOKEN_DAYS', 30, 1, 3650) * 86_400_000,
    },
    busLimits: {
      maxMessagesPerTarget: int('ACMP_SICS_MAX_MESSAGES_PER_TARGET', 10_000, 1, 10_000_000),
      messageTtlSeconds: int('ACMP_SICS_MESSAGE_TTL_SECONDS', 86_400, 1, 31_536_000),
      maxRouters: int('ACMP_SICS_MAX_ROUTERS', 10_000, 1, 1_000_000),
      maxTargets: int('ACMP_SICS_MAX_TARGETS', 10_000, 1, 1_000_000),
      maxDeliveries: int('ACMP_SICS_MAX_DELIVERIES', 10, 1, 1000),
      idleMs: int('ACMP_SICS_IDLE_MINUTES', 15, 1, 525_600) * 60_000,
    },
    communicationLog: {
      enabled: true,
      retentionDays: int('ACMP_LOG_RETENTION_DAYS', 7, 1, 3650),
      maxBytes: int('ACMP_LOG_MAX_MB', 512, 1, 10_000_000) * 1024 * 1024,
      maxBodyBytes: int('ACMP_LOG_MAX_BODY_BYTES', 65_536, 256, 16 * 1024 * 1024),
    },
    workers: int('ACMP_WORKERS', os.availableParallelism(), 1, 256),
    rateLimits: {
      perAddress: int('ACMP_RATE_LIMIT_PER_ADDRESS', 0, 0, 10_000_000),
      perSession: int('ACMP_RATE_LIMIT_PER_SESSION', 0, 0, 10_000_000),
      windowSeconds: int('ACMP_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
      loopback: false,
    },
  };
  const logSwitch = (env.ACMP_LOG ?? '').trim().toLowerCase();
  if (!['', 'on', 'off'].includes(logSwitch))
    problems.push(`ACMP_LOG must be on or off, not "${env.ACMP_LOG}"`);
  config.communicationLog.enabled = logSwitch !== 'off';
  const level = (env.ACMP_LOG_LEVEL ?? '').trim().toLowerCase() || 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level))
    problems.push(
      `ACMP_LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, not "${env.ACMP_LOG_LEVEL}"`,
    );
  else config.logLevel = level as LogLevel;
  const format = (env.ACMP_LOG_FORMAT ?? '').trim().toLowerCase();
  if (format !== '' && format !== 'json' && format !== 'pretty')
    problems.push(`ACMP_LOG_FORMAT must be json or pretty, not "${env.ACMP_LOG_FORMAT}"`);
  else if (format) config.logFormat = format as LogFormat;
  if (env.ACMP_METRICS_TOKEN !== undefined && env.ACMP_METRICS_TOKEN !== '') {
    if (!/^[\x21-\x7e]{16,}$/.test(env.ACMP_METRICS_TOKEN))
      problems.push('ACMP_METRICS_TOKEN must be at least 16 printable characters without spaces');
    else config.metricsToken = env.ACMP_METRICS_TOKEN;
  }
  const loopback = (env.ACMP_RATE_LIMIT_LOOPBACK ?? '').trim().toLowerCase();
  if (!['', 'on', 'off'].includes(loopback))
    problems.push(
      `ACMP_RATE_LIMIT_LOOPBACK must be on or off, not "${env.ACMP_RATE_LIMIT_LOOPBACK}"`,
    );
  config.rateLimits.loopback = loopback === 'on';
  // docs/protocol.md §5: open by default only on loopback; beyond it only when asked for, and said loudly.
  const auth = (env.ACMP_AUTH ?? '').trim().toLowerCase();
  if (auth !== '' && auth !== 'open' && auth !== 'required')
    problems.push(`ACMP_AUTH must be required or open, not "${env.ACMP_AUTH}"`);
  config.authMode =
    auth === 'open' || auth === 'required' ? auth : isLoopback(config.host) ? 'open' : 'required';
  if (config.authMode === 'open' && !isLoopback(config.host)) {
    config.authWarning = `WARNING: ACMP_AUTH=open on ${config.host}, beyond loopback: anyone who reaches this port acts as Settings.ApiUserId with every permission, without logging in`;
  }
  if (!/^\d+(\.\d+)?\s*(b|kb|mb|gb)?$/i.test(config.bodyLimit))
    problems.push(`ACMP_BODY_LIMIT must look like 8mb or 500kb, not "${config.bodyLimit}"`);
  if (problems.length) throw new Error(`Invalid configuration: ${problems.join('; ')}`);
  return config;
}
