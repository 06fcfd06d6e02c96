// Structured logs (pino): one JSON line per event on stdout, readable lines on a terminal. Every
// line written while a request runs carries its request id (the X-Request-Id header). Bodies are
// never logged, and errors lose whatever could carry a value the client sent (see safeError).

import { types } from 'node:util';
import pino from 'pino';

/** How the core and the transports log: `requestId` is the exchange's X-Request-Id, when the line belongs to one. */
export type Logger = (message: string, error?: unknown, requestId?: string) => void;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = 'json' | 'pretty';

export interface LoggerOptions {
  /** ACMP_LOG_LEVEL; info by default. */
  level?: LogLevel;
  /** ACMP_LOG_FORMAT; absent: pretty when stdout is a terminal, JSON otherwise. */
  format?: LogFormat;
  /** Where the lines go (tests); by default stdout, and fatal lines (the gateway did not start) to stderr. */
  destination?: pino.DestinationStream;
}

/**
 * Never logged. Nothing here logs bodies or headers; this is the net under a future
 * `log.info({ headers })` or `log.info({ req })`. Named paths only: wildcard paths ("*.token")
 * made every line about six times slower to write.
 */
export const REDACT_PATHS = [
  'password',
  'Password',
  'PasswordHash',
  'passwordHash',
  'token',
  'Token',
  'session',
  'Session',
  'sessionId',
  'SessionId',
  'authorization',
  'body',
  'headers.authorization',
  'headers["x-sics-session"]',
  'headers.cookie',
  'req.headers.authorization',
  'req.headers["x-sics-session"]',
  'req.headers.cookie',
  'req.body',
  'res.body',
];

/** On a terminal the exchange line's message says these already. */
const PRETTY_IGNORED = 'pid,hostname,transport,method,path,status,commands,resultCode,durationMs';

export function createLogger({
  level = 'info',
  format,
  destination,
}: LoggerOptions = {}): pino.Logger {
  const options: pino.LoggerOptions = {
    level,
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: safeError, error: safeError },
  };
  if (destination) return pino(options, destination);
  const readable = (format ?? (process.stdout.isTTY ? 'pretty' : 'json')) === 'pretty';
  // Synchronous writes: the lines just before process.exit() (a failed start) are not lost.
  // pino-pretty only when used: the CLIs that load this module start faster.
  const pretty: typeof import('pino-pretty') = readable ? require('pino-pretty') : undefined;
  const sink = (fd: 1 | 2) =>
    readable
      ? pretty({
          destination: fd,
          sync: true,
          colorize: Boolean(fd === 1 ? process.stdout.isTTY : process.stderr.isTTY),
          translateTime: 'SYS:HH:MM:ss.l',
          singleLine: true,
          ignore: PRETTY_IGNORED,
        })
      : pino.destination({ fd, sync: true });
  return pino(
    options,
    pino.multistream(
      [
        { level: 'trace', stream: sink(1) },
        { level: 'fatal', stream: sink(2) },
      ],
      { dedupe: true },
    ),
  );
}

let shared: pino.Logger | undefined;

/** The process's logger: main.ts sets it from the configuration; until then (tools, tests) JSON or pretty at info. */
export function defaultLogger(): pino.Logger {
  shared ??= createLogger();
  return shared;
}

export function setDefaultLogger(logger: pino.Logger): void {
  shared = logger;
}

/** The core's Logger on pino: a message alone is a warning, one with an error an error. */
export function coreLogger(logger: pino.Logger): Logger {
  return (message, error, requestId) =>
    error === undefined
      ? logger.warn({ requestId }, message)
      : logger.error({ err: error, requestId }, message);
}

/**
 * An error as it may be logged. Knex puts the failed SQL in front of the message (for
 * PostgreSQL with $1 placeholders, not the values); PostgreSQL's `detail` ("Key
 * (id)=(…) already exists"), `where`, `hint` and internal query can quote the row's values, and
 * its message quotes the offending input ("invalid input syntax for type uuid: \"…\""). Only the
 * fields that name things, not values, are kept, and a database message's quoted parts are cut.
 */
export function safeError(error: unknown): Record<string, unknown> {
  // isNativeError: errors made by Node itself (a refused connection) in another realm (jest) too.
  if (!(error instanceof Error || types.isNativeError(error)))
    return {
      type: typeof error,
      message:
        typeof error === 'string'
          ? error
          : error === undefined
            ? ''
            : Object.prototype.toString.call(error),
    };
  const e = error as Error & Record<string, unknown>;
  const fromDatabase =
    typeof e.severity === 'string' || (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code));
  const cut = (text: string) =>
    fromDatabase ? text.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '"…"') : text;
  const out: Record<string, unknown> = { type: e.name, message: cut(String(e.message)) };
  for (const key of [
    'code',
    'severity',
    'schema',
    'table',
    'column',
    'constraint',
    'routine',
  ] as const)
    if (typeof e[key] === 'string') out[key] = e[key];
  // The frames only: V8 writes the message as it was when the error was made into the first line.
  if (typeof e.stack === 'string')
    out.stack = e.stack
      .split('\n')
      .filter((line) => /^\s+at /.test(line))
      .join('\n');
  return out;
}

/** The core's default: the process's JSON logger, with the request id where known. */
export const consoleLogger: Logger = (message, error, requestId) =>
  coreLogger(defaultLogger())(message, error, requestId);
