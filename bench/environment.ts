// The gateway under test, `node dist/src/main.js` in a process of its own (its memory and CPU
// profile are its own), on an embedded PostgreSQL in a temporary folder (removed at the end);
// the minimal pipeline (minimal-pipeline.ts) likewise; and the baseline: a bare Express route
// answering a fixed body, in this process.
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Knex } from 'knex';
import { buildRegistry, type Registry } from '../src/commands/registry';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { connect, migrate } from '../src/db/connection';
import { type EmbeddedServer, startEmbedded } from '../src/db/embedded';
import { loadSeed, readSeedFile } from '../src/db/seed';
import { passwordHashOf } from '../src/identity/passwords';
import { requestEnvelope } from '../src/tools/request-envelope';
import { type NodeChild, resetPeak, startNode, statusKb } from './child';
import { xmlHeaders } from './load';
import { CREATE_MINIMAL_TABLE } from './minimal-pipeline';

/** Logs in as the demo seed's Anna Admin and puts the session into xmlHeaders. */
async function logIn(acmpUrl: string): Promise<void> {
  const session = `{${randomUUID().toUpperCase()}}`;
  const body = requestEnvelope(
    'LoginAcmpUser',
    1,
    `<Username>Anna Admin</Username><PasswordHash>${passwordHashOf('anna-demo-password')}</PasswordHash><SessionId>${session}</SessionId>`,
  );
  const res = await fetch(acmpUrl, { method: 'POST', body, headers: xmlHeaders });
  if (res.headers.get('x-acmp-result-code') !== '0')
    throw new Error(`BENCH_AUTH=required: the login of Anna Admin failed: ${await res.text()}`);
  xmlHeaders['X-SICS-SESSION'] = session;
}

export interface BenchEnvironment {
  db: Knex;
  registry: Registry;
  /** The gateway's ICQL endpoint. */
  acmpUrl: string;
  /** The embedded PostgreSQL, for a gateway in a process of its own (memory.ts). */
  databaseUrl: string;
  poolMax: number;
  /** The gateway's process id. */
  gatewayPid: number;
  /** Starts the gateway's peak resident memory afresh (VmHWM); gatewayPeakMb() reads it. */
  resetGatewayPeak(): void;
  gatewayPeakMb(): number;
  /** Lines the gateway wrote to stderr: unexpected errors (ResultCode 18/19 answers). */
  loggedErrors: () => number;
  /** Starts the baseline route answering `body` (same size as a real answer). */
  startBaseline(body: string): Promise<string>;
  /** Starts the minimal pipeline (table minimal_tickets) on the same database; its /acmp URL. */
  startMinimal(): Promise<string>;
  stop(): Promise<void>;
}

export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-bench-'));
  chmodSync(dir, 0o755); // initdb runs as the unprivileged postgres user when we are root
  const servers: Server[] = [];
  let embedded: EmbeddedServer | undefined;
  let db: Knex | undefined;
  const children: NodeChild[] = [];
  const stop = async () => {
    for (const c of children) await c.stop();
    // Also the connections of a load run cut short (Ctrl-C): close() alone would wait for them.
    for (const s of servers)
      await new Promise((resolve) => {
        s.close(resolve);
        s.closeAllConnections();
      });
    await db?.destroy().catch(() => {});
    await embedded?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    embedded = await startEmbedded(path.join(dir, 'pg'), await freePort());
    // The pool size the gateway runs with (ACMP_DB_POOL_MAX, default 10).
    const poolMax = loadConfig().dbPoolMax;
    // No query timeout: copying and generating tens of thousands of tickets takes longer than the gateway's 10 s.
    db = connect(embedded.url, { poolMax, queryTimeoutMs: 0 });
    await migrate(db);
    await loadSeed(db, readSeedFile(path.join(PROJECT_ROOT, 'fixtures/seed/demo.json')));
    await db.raw(CREATE_MINIMAL_TABLE);
    const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));
    // BENCH_CPU_PROF=<dir>: each process writes its profile into <dir>/gateway or <dir>/minimal.
    const cpuProfile = (who: string) =>
      process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF, who)}`]
        : [];
    // BENCH_AUTH=open (default): the gateway acts as the seed's ApiUser without a session.
    // BENCH_AUTH=required: the bench logs in once as the seed's Anna Admin and sends that session
    // on every XML request (xmlHeaders), as the figures are meant to be taken.
    const auth = process.env.BENCH_AUTH === 'required' ? 'required' : 'open';
    const gateway = await startNode(
      'dist/src/main.js',
      {
        DATABASE_URL: embedded.url,
        ACMP_AUTH: auth,
        ACMP_DB_POOL_MAX: String(poolMax),
        ACMP_WORKERS: '1',
      },
      'acmp-gateway: ',
      cpuProfile('gateway'),
    );
    children.push(gateway);
    if (auth === 'required') await logIn(`http://127.0.0.1:${gateway.port}/acmp`);
    const databaseUrl = embedded.url;
    return {
      db,
      registry,
      acmpUrl: `http://127.0.0.1:${gateway.port}/acmp`,
      databaseUrl,
      poolMax,
      gatewayPid: gateway.child.pid!,
      resetGatewayPeak: () => resetPeak(gateway.child.pid!),
      gatewayPeakMb: () => Math.round(statusKb(gateway.child.pid!, 'VmHWM') / 1024),
      loggedErrors: () => gateway.stderrLines(),
      async startMinimal() {
        const minimal = await startNode(
          'dist/bench/minimal-pipeline.js',
          { DATABASE_URL: databaseUrl, POOL_MAX: String(poolMax) },
          'minimal pipeline: serving',
          cpuProfile('minimal'),
        );
        children.push(minimal);
        return `http://127.0.0.1:${minimal.port}/acmp`;
      },
      async startBaseline(body: string) {
        const fixed = Buffer.from(body);
        const baseline = express();
        // Reads the request body like /acmp does, then answers with the same headers.
        baseline.post('/baseline', express.raw({ type: () => true, limit: '8mb' }), (_req, res) => {
          res.status(200).setHeader('Content-Type', 'text/xml; charset=utf-8');
          res.end(fixed);
        });
        return `http://127.0.0.1:${await listen(baseline, servers)}/baseline`;
      },
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

function listen(app: express.Express, servers: Server[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () =>
      resolve((server.address() as AddressInfo).port),
    );
    server.once('error', reject);
    servers.push(server);
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A whole-number benchmark setting from the environment. */
export function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a whole number above 0, not "${raw}"`);
  return value;
}
