// ACMP_DB_QUERY_TIMEOUT_MS: how long a query may wait for PostgreSQL before the command answers 19.
import { type Config, loadConfig } from '../../src/config';

test('the query timeout is 10 s unless ACMP_DB_QUERY_TIMEOUT_MS says otherwise', () => {
  expect(loadConfig({}).dbQueryTimeoutMs).toBe(10000);
  expect(loadConfig({ ACMP_DB_QUERY_TIMEOUT_MS: '2500' }).dbQueryTimeoutMs).toBe(2500);
});

test.each(['0', '99', '1.5', 'ten', '3600001'])(
  'ACMP_DB_QUERY_TIMEOUT_MS=%s is refused at start, with the allowed range',
  (raw) => {
    expect(() => loadConfig({ ACMP_DB_QUERY_TIMEOUT_MS: raw })).toThrow(
      `ACMP_DB_QUERY_TIMEOUT_MS must be a whole number from 100 to 3600000, not "${raw}"`,
    );
  },
);

// docs/protocol.md §5, authentication mode: open by default only on loopback.
const mode = ({ authMode, authWarning }: Config) => ({ authMode, authWarning });
test.each(['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', 'LOCALHOST'])(
  'HOST=%s runs open by default, without a warning',
  (HOST) => {
    expect(mode(loadConfig({ HOST }))).toEqual({ authMode: 'open', authWarning: undefined });
  },
);

test.each(['0.0.0.0', '192.168.1.20', '::', 'gateway.example.com', '128.0.0.1'])(
  'HOST=%s requires authentication by default',
  (HOST) => {
    expect(mode(loadConfig({ HOST }))).toEqual({ authMode: 'required', authWarning: undefined });
  },
);

test('no HOST: 127.0.0.1, open', () => {
  expect(loadConfig({}).authMode).toBe('open');
});

test('ACMP_AUTH=open beyond loopback is accepted, with a warning naming the host; ACMP_AUTH=required on loopback is accepted', () => {
  const config = loadConfig({ HOST: '0.0.0.0', ACMP_AUTH: 'open' });
  expect(config.authMode).toBe('open');
  expect(config.authWarning).toMatch(/^WARNING: ACMP_AUTH=open on 0\.0\.0\.0, beyond loopback/);
  expect(mode(loadConfig({ HOST: '127.0.0.1', ACMP_AUTH: 'required' }))).toEqual({
    authMode: 'required',
    authWarning: undefined,
  });
});

test('an unknown ACMP_AUTH is refused at start', () => {
  expect(() => loadConfig({ ACMP_AUTH: 'off' })).toThrow(
    'ACMP_AUTH must be required or open, not "off"',
  );
});

test('sessions last 30 minutes idle and 12 hours in all, tokens 30 days, unless configured (docs/protocol.md §5)', () => {
  expect(loadConfig({}).limits).toEqual({
    session: { idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 },
    tokenLifetimeMs: 30 * 86_400_000,
  });
  expect(
    loadConfig({
      ACMP_SESSION_IDLE_MINUTES: '5',
      ACMP_SESSION_MAX_HOURS: '1',
      ACMP_TOKEN_DAYS: '7',
    }).limits,
  ).toEqual({
    session: { idleMs: 5 * 60_000, absoluteMs: 3_600_000 },
    tokenLifetimeMs: 7 * 86_400_000,
  });
  expect(() => loadConfig({ ACMP_SESSION_IDLE_MINUTES: '0' })).toThrow(
    'ACMP_SESSION_IDLE_MINUTES must be a whole number from 1 to 10080, not "0"',
  );
});

// Logs and metrics settings.
test('ACMP_LOG_LEVEL, ACMP_LOG_FORMAT and ACMP_METRICS_TOKEN: defaults, accepted values, refusals that say what is allowed', () => {
  const defaults = loadConfig({});
  expect([defaults.logLevel, defaults.logFormat, defaults.metricsToken]).toEqual([
    'info',
    undefined,
    undefined,
  ]);
  expect(
    loadConfig({
      ACMP_LOG_LEVEL: 'Debug',
      ACMP_LOG_FORMAT: 'pretty',
      ACMP_METRICS_TOKEN: 'a-scraper-token-0123',
    }),
  ).toMatchObject({ logLevel: 'debug', logFormat: 'pretty', metricsToken: 'a-scraper-token-0123' });
  expect(() => loadConfig({ ACMP_LOG_LEVEL: 'verbose' })).toThrow(
    'ACMP_LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent, not "verbose"',
  );
  expect(() => loadConfig({ ACMP_LOG_FORMAT: 'text' })).toThrow(
    'ACMP_LOG_FORMAT must be json or pretty, not "text"',
  );
  expect(() => loadConfig({ ACMP_METRICS_TOKEN: 'short' })).toThrow(
    'ACMP_METRICS_TOKEN must be at least 16 printable characters without spaces',
  );
});

test('rate limits are off unless set; loopback is exempt unless ACMP_RATE_LIMIT_LOOPBACK=on; bad values are refused at start', () => {
  expect(loadConfig({}).rateLimits).toEqual({
    perAddress: 0,
    perSession: 0,
    windowSeconds: 60,
    loopback: false,
  });
  expect(
    loadConfig({
      ACMP_RATE_LIMIT_PER_ADDRESS: '600',
      ACMP_RATE_LIMIT_PER_SESSION: '120',
      ACMP_RATE_LIMIT_WINDOW_SECONDS: '10',
      ACMP_RATE_LIMIT_LOOPBACK: 'on',
    }).rateLimits,
  ).toEqual({
    perAddress: 600,
    perSession: 120,
    windowSeconds: 10,
    loopback: true,
  });
  expect(() => loadConfig({ ACMP_RATE_LIMIT_PER_SESSION: '-1' })).toThrow(
    'ACMP_RATE_LIMIT_PER_SESSION must be a whole number from 0 to 10000000, not "-1"',
  );
  expect(() => loadConfig({ ACMP_RATE_LIMIT_WINDOW_SECONDS: '0' })).toThrow(
    'ACMP_RATE_LIMIT_WINDOW_SECONDS must be a whole number from 1 to 86400, not "0"',
  );
  expect(() => loadConfig({ ACMP_RATE_LIMIT_LOOPBACK: 'yes' })).toThrow(
    'ACMP_RATE_LIMIT_LOOPBACK must be on or off, not "yes"',
  );
});
