// Runs autocannon in a worker thread, so that the load generator does not share the event loop
// of the gateway it measures (the gateway runs in the main thread of the same process).

import { parentPort, workerData } from 'node:worker_threads';
import autocannon from 'autocannon';
import type { LoadJob, LoadReport } from './load';
import { newGuid, saveTicketRequest } from './requests';

async function run(job: LoadJob): Promise<LoadReport> {
  const resultCodes: Record<string, number> = {};
  const createdIds: string[] = [];
  // Ticket Ids sent and not (yet) answered. Each connection has one request in flight and its
  // own context object, so the Id put there by setupRequest comes back with the answer.
  const pending = new Set<string>();
  let next = 0;
  const setupRequest = (req: autocannon.Request, context: { id?: string }) => {
    if (Array.isArray(job.bodies)) return { ...req, body: job.bodies[next++ % job.bodies.length] };
    context.id = newGuid();
    pending.add(context.id);
    return {
      ...req,
      body:
        job.bodies === 'new-ticket'
          ? saveTicketRequest(context.id)
          : job.bodies.newTicket.replaceAll('{{id}}', context.id),
    };
  };
  const onResponse = (
    status: number,
    text: string,
    context: { id?: string },
    headers?: Record<string, string | string[] | undefined>,
  ) => {
    const header = Object.entries(headers ?? {}).find(
      ([name]) => name.toLowerCase() === 'x-acmp-result-code',
    )?.[1];
    const code = header === undefined ? 'none' : String(header);
    resultCodes[code] = (resultCodes[code] ?? 0) + 1;
    if (context.id === undefined) return;
    pending.delete(context.id);
    // Counted as created only when the answer names the ticket that was sent.
    if (
      status === 200 &&
      code === '0' &&
      (text.includes(`<TicketId>${context.id}</TicketId>`) ||
        text.includes(`"TicketId":"${context.id}"`))
    )
      createdIds.push(context.id);
  };
  const options = { url: job.url, connections: job.connections, duration: job.durationSeconds };
  const raw = await autocannon({
    ...options,
    timeout: 30,
    method: 'POST',
    headers: job.headers ?? { 'content-type': 'text/xml; charset=utf-8' },
    requests: [
      {
        setupRequest: setupRequest as autocannon.Request['setupRequest'],
        onResponse: onResponse as autocannon.Request['onResponse'],
      },
    ],
  });
  // Inside a worker thread autocannon returns its histograms encoded (it expects to be one of
  // its own workers): aggregate them here. Requests per second: answers over the run time.
  const { aggregateResult } = autocannon as unknown as {
    aggregateResult(results: unknown[], opts: object): autocannon.Result;
  };
  const result = aggregateResult([raw], options);
  return {
    requestsPerSecond: result.requests.total / result.duration,
    responses: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    durationSeconds: result.duration,
    resultCodes,
    createdIds,
    unansweredIds: [...pending],
  };
}

run(workerData as LoadJob).then(
  (report) => parentPort!.postMessage({ report }),
  (e: Error) => parentPort!.postMessage({ error: e.message }),
);
