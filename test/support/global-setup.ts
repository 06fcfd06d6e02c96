// Starts the embedded PostgreSQL for the whole run unless DATABASE_URL names another server.
// Each test file then works in a schema of its own (see db.ts).
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../../src/db/embedded';

export default async function globalSetup(): Promise<void> {
  if (process.env.DATABASE_URL) {
    process.env.TEST_DATABASE_URL = process.env.DATABASE_URL;
    return;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-test-'));
  chmodSync(dir, 0o755); // initdb runs as the unprivileged postgres user
  const port = 55000 + Math.floor(Math.random() * 5000);
  const server = await startEmbedded(path.join(dir, 'pg'), port);
  (globalThis as any).__ACMP_TEST_PG__ = { server, dir };
  process.env.TEST_DATABASE_URL = server.url;
}
