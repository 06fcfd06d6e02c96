// The SICS bus round trip (docs/protocol.md §8.2): `load.connections` clients, each with its own session and
// answer queue, publish a SaveTicket_V4 (a new ticket each time) to the ACMP router and consume
// the answer with a long poll, for `load.durationSeconds`. One round trip = publish + consume.
// The clients run in a worker thread (sics-worker.ts), as autocannon does for the other
// scenarios, so that they do not share the gateway's event loop.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { BenchEnvironment } from './environment';
import type { LoadReport } from './load';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

export interface SicsJob {
  url: string;
  connections: number;
  durationSeconds: number;
  /** Manual: each answer is acknowledged with POST /Ack (its LeaseId), and that call is part of the round trip. */
  ackMode: 'Auto' | 'Manual';
}

export interface SicsRun {
  latencies: number[];
  resultCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  seconds: number;
}

const WORKER = path.join(__dirname, 'sics-worker.js'); // compiled JavaScript: `npm run bench` builds dist/ first

const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0;

function runClients(job: SicsJob): Promise<SicsRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: job });
    worker.once('message', (m: { run?: SicsRun; error?: string }) =>
      m.run ? resolve(m.run) : reject(new Error(`SICS clients failed: ${m.error}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the SICS client worker stopped with exit code ${code} before reporting`)),
    );
  });
}

export async function sicsScenario(
  env: BenchEnvironment,
  load: LoadSettings,
  ackMode: 'Auto' | 'Manual' = 'Auto',
): Promise<ScenarioResult> {
  const run = await runClients({
    url: env.acmpUrl.replace(/\/acmp$/, ''),
    connections: load.connections,
    durationSeconds: load.durationSeconds,
    ackMode,
  });
  const latencies = run.latencies.sort((a, b) => a - b);
  const report: LoadReport = {
    requestsPerSecond: latencies.length / run.seconds,
    responses: latencies.length,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    errors: run.errors,
    timeouts: 0,
    non2xx: run.non2xx,
    durationSeconds: run.seconds,
    resultCodes: run.resultCodes,
    createdIds: [],
    unansweredIds: [],
  };
  return {
    name:
      ackMode === 'Auto'
        ? 'SICS bus: publish SaveTicket_V4 + consume the answer (round trips)'
        : 'SICS bus, Manual acknowledgement: publish + consume + POST /Ack (round trips)',
    report,
    notes: [
      `round trips, each POST /Publish (202) then POST /Consume with WaitForMessage${ackMode === 'Manual' ? ' and AckMode Manual, then POST /Ack with its LeaseId' : ' (Automatic acknowledgement)'}; ${load.connections} clients, each its own session and answer queue`,
    ],
  };
}
