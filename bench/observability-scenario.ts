// What /metrics and the JSON exchange log cost SaveTicket_V4: a second gateway over the same
// database with both on (its JSON lines written to /dev/null, as a real stdout costs a write too),
// loaded alternately with the plain one (plain, observed, plain) so that machine noise hits both.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { buildApp } from '../src/app';
import { exchangeLogListener } from '../src/observability/exchange';
import { coreLogger, createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import type { BenchEnvironment } from './environment';
import { runLoad } from './load';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

export async function observabilityScenario(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult> {
  const metrics = createMetrics({
    db: env.db,
    commandKeys: env.registry.commands,
    authMode: 'open',
  });
  const logger = createLogger({ destination: pino.destination({ dest: '/dev/null', sync: true }) });
  const app = buildApp({
    db: env.db,
    registry: env.registry,
    bodyLimit: '8mb',
    authMode: 'open',
    log: coreLogger(logger),
    metrics,
    exchangeListeners: [exchangeLogListener(logger)],
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const plainBefore = await runLoad({ url: env.acmpUrl, ...load, bodies: 'new-ticket' });
    const observed = await runLoad({ url: `${base}/acmp`, ...load, bodies: 'new-ticket' });
    const plainAfter = await runLoad({ url: env.acmpUrl, ...load, bodies: 'new-ticket' });
    const plain = (plainBefore.requestsPerSecond + plainAfter.requestsPerSecond) / 2;
    const share = observed.requestsPerSecond / plain;
    const text = await (await fetch(`${base}/metrics`)).text();
    const counted = Number(
      /^acmp_requests_total\{transport="xml",command="SaveTicket_V4",result_code="0"\} (\d+)$/m.exec(
        text,
      )?.[1] ?? 0,
    );
    return {
      name: 'SaveTicket_V4 with /metrics and the JSON exchange log on',
      report: observed,
      notes: [
        `${observed.requestsPerSecond.toFixed(0)} req/s with metrics and logs, ${plain.toFixed(0)} req/s without (${plainBefore.requestsPerSecond.toFixed(0)} before, ${plainAfter.requestsPerSecond.toFixed(0)} after): ${(share * 100).toFixed(1)} % of the throughput`,
        `check: acmp_requests_total counted ${counted} creates answered 0, the load saw ${observed.createdIds.length} acknowledged (+ up to ${observed.unansweredIds.length} still in flight at the stop)`,
      ],
    };
  } finally {
    await new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  }
}
