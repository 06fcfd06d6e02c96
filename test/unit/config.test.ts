// ACMP_DB_QUERY_TIMEOUT_MS: how long a query may wait for PostgreSQL before the command answers 19.
import { loadConfig } from '../../src/config';

test('the query timeout is 10 s unless ACMP_DB_QUERY_TIMEOUT_MS says otherwise', () => {
  expect(loadConfig({}).dbQueryTimeoutMs).toBe(10000);
  expect(loadConfig({ ACMP_DB_QUERY_TIMEOUT_MS: '2500' }).dbQueryTimeoutMs).toBe(2500);
});

test.each(['0', '99', '1.5', 'ten', '3600001'])('ACMP_DB_QUERY_TIMEOUT_MS=%s is refused at start, with the allowed range', (raw) => {
  expect(() => loadConfig({ ACMP_DB_QUERY_TIMEOUT_MS: raw })).toThrow(`ACMP_DB_QUERY_TIMEOUT_MS must be a whole number from 100 to 3600000, not "${raw}"`);
});
