// The cost of the communication log (at most 5 % of SaveTicket_V4 throughput): the same
// gateway code twice over the bench database, one app with the log on (bodies captured, redacted,
// written in batches to communication_log), one with it off (ACMP_LOG=off: no listener). Runs
// alternate off/on so that both see the same machine load, and each side's throughput is the
// total of its runs. Standalone: npm run build && node dist/bench/commlog-scenario.js
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../src/app';
import { CommunicationLog } from '../src/observability/communication-log';
import { type BenchEnvironment, setting, startBenchEnvironment } from './environment';
import { type LoadReport, runLoad } from './load';
import { printScenario } from './report';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

/** Rounds of (off, on); each run lasts durationSeconds / rounds (at least 2 s). */
const ROUNDS = 3;

export async function commlogScenarios(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult[]> {
  const log = new CommunicationLog(env.db, {
    retentionDays: 7,
    maxBytes: 512 * 1024 * 1024,
    maxBodyBytes: 65_536,
    retentionIntervalMs: 0,
  });
  const servers: Server[] = [];
  const start = async (on: boolean) => {
    const app = buildApp({
      db: env.db,
      registry: env.registry,
      bodyLimit: '8mb',
      authMode: 'open',
      log: () => {},
      exchangeListeners: on ? [log.listener] : [],
    });
    const server: Server = await new Promise((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`;
  };
  const urls = { off: await start(false), on: await start(true) };
  const rowsBefore = Number((await env.db('communication_log').count({ n: '*' }))[0].n);
  const runs: Record<'off' | 'on', LoadReport[]> = { off: [], on: [] };
  const seconds = Math.max(2, Math.round(load.durationSeconds / ROUNDS));
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Which side goes first alternates too: neither always gets the warmer (or busier) slot.
      for (const side of round % 2 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
        runs[side].push(
          await runLoad({
            url: urls[side],
            connections: load.connections,
            durationSeconds: seconds,
            bodies: 'new-ticket',
          }),
        );
      }
    }
    await log.close();
  } finally {
    for (const s of servers)
      await new Promise((resolve) => {
        s.close(resolve);
        s.closeAllConnections();
      });
  }
  const rows = Number((await env.db('communication_log').count({ n: '*' }))[0].n) - rowsBefore;
  const total = (side: 'off' | 'on') => {
    const reports = runs[side];
    const responses = reports.reduce((n, r) => n + r.responses, 0);
    const duration = reports.reduce((n, r) => n + r.durationSeconds, 0);
    const merged: LoadReport = {
      ...reports[0],
      responses,
      durationSeconds: duration,
      requestsPerSecond: responses / duration,
      p50: median(reports.map((r) => r.p50)),
      p99: Math.max(...reports.map((r) => r.p99)),
    };
    merged.resultCodes = {};
    for (const r of reports)
      for (const [code, n] of Object.entries(r.resultCodes))
        merged.resultCodes[code] = (merged.resultCodes[code] ?? 0) + n;
    merged.errors = reports.reduce((n, r) => n + r.errors, 0);
    merged.non2xx = reports.reduce((n, r) => n + r.non2xx, 0);
    return merged;
  };
  const off = total('off');
  const on = total('on');
  const cost = (1 - on.requestsPerSecond / off.requestsPerSecond) * 100;
  const perRun = (side: 'off' | 'on') =>
    runs[side].map((r) => r.requestsPerSecond.toFixed(0)).join(', ');
  return [
    {
      name: 'SaveTicket_V4, communication log off (ACMP_LOG=off)',
      report: off,
      notes: [`runs of ${seconds} s, alternating with the log on: ${perRun('off')} req/s`],
    },
    {
      name: 'SaveTicket_V4, communication log on',
      report: on,
      notes: [
        `runs of ${seconds} s, alternating with the log off: ${perRun('on')} req/s`,
        `cost of the log: ${cost.toFixed(1)} % of SaveTicket_V4 throughput (target: at most 5 %)`,
        `check: ${rows} rows written for ${on.responses} answers (${log.dropped} dropped from a full queue, ${log.failed} lost to failed writes)`,
      ],
    },
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (require.main === module) {
  (async () => {
    const load: LoadSettings = {
      durationSeconds: setting('BENCH_DURATION', 30),
      connections: setting('BENCH_CONNECTIONS', 32),
    };
    console.log('starting the gateway on an embedded PostgreSQL in a temporary folder ...');
    const env = await startBenchEnvironment();
    try {
      // Warm-up: the JIT and the pool, on neither side's figures.
      await runLoad({
        url: env.acmpUrl,
        connections: load.connections,
        durationSeconds: 3,
        bodies: 'new-ticket',
      });
      for (const r of await commlogScenarios(env, load)) printScenario(r);
    } finally {
      await env.stop();
    }
  })().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
