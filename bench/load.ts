// One load run: autocannon in a worker thread (load-worker.ts) against a URL, and the few
// figures the report needs, including the ResultCode of every answer.
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * The headers of every XML request of the bench: Content-Type, and with BENCH_AUTH=required the
 * X-SICS-SESSION the bench logged in with (environment.ts). The minimal pipeline ignores it.
 */
export const xmlHeaders: Record<string, string> = { 'Content-Type': 'text/xml; charset=utf-8' };

export interface LoadJob {
  url: string;
  connections: number;
  durationSeconds: number;
  /**
   * Bodies posted round-robin, or 'new-ticket': a SaveTicket_V4 create with a fresh Id each time,
   * or `{ newTicket }`: the same in another framing, `{{id}}` in the text replaced by the fresh Id.
   */
  bodies: string[] | 'new-ticket' | { newTicket: string };
  /** Request headers; default Content-Type text/xml. */
  headers?: Record<string, string>;
}

export interface LoadReport {
  requestsPerSecond: number;
  responses: number;
  p50: number;
  p99: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  durationSeconds: number;
  /** X-ACMP-Result-Code → number of answers ('none' when the header is absent). */
  resultCodes: Record<string, number>;
  /** TicketIds of creates answered with HTTP 200 and ResultCode 0 (new-ticket runs only). */
  createdIds: string[];
  /** TicketIds of creates sent but not answered when the run stopped (new-ticket runs only). */
  unansweredIds: string[];
}

// Workers run compiled JavaScript: `npm run bench` builds dist/ first.
const WORKER = path.join(__dirname, 'load-worker.js');

export function runLoad(job: LoadJob): Promise<LoadReport> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, {
      workerData: { ...job, headers: job.headers ?? xmlHeaders },
    });
    let settled = false;
    worker.once('message', (m: { report?: LoadReport; error?: string }) => {
      settled = true;
      if (m.report) resolve(m.report);
      else reject(new Error(`load run failed: ${m.error}`));
    });
    worker.once('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!settled)
        reject(new Error(`the load worker stopped with exit code ${code} before reporting`));
    });
  });
}

/** Answers whose ResultCode is not 0 (or absent, for anything but the baseline). */
export function notOk(report: LoadReport, baseline = false): number {
  return Object.entries(report.resultCodes)
    .filter(([code]) => code !== '0' && !(baseline && code === 'none'))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Median latency in ms of `count` sequential requests (after two to warm up). */
export async function sequentialMedian(
  url: string,
  bodies: string[],
  count = 20,
  headers: Record<string, string> = xmlHeaders,
): Promise<number> {
  const post = (body: string) =>
    fetch(url, { method: 'POST', body, headers }).then((r) => r.text());
  for (let i = 0; i < 2; i++) await post(bodies[i % bodies.length]);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    await post(bodies[i % bodies.length]);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return (times[Math.floor((count - 1) / 2)] + times[Math.ceil((count - 1) / 2)]) / 2;
}
