// The SICS bus round trip (spec §8.2): `load.connections` clients, each with its own session and
// answer queue, publish a SaveTicket_V4 (a new ticket each time) to the ACMP router and consume
// the answer with a long poll, for `load.durationSeconds`. One round trip = publish + consume.
import type { BenchEnvironment } from './environment';
import type { LoadReport } from './load';
import { newGuid, saveTicketRequest } from './requests';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

const USER = { UserName: 'Anna Admin', Password: 'anna-demo-password' }; // fixtures/seed/demo.json

async function call(url: string, path: string, session: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session }, body: JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : 0);

export async function sicsScenario(env: BenchEnvironment, load: LoadSettings): Promise<ScenarioResult> {
  const url = env.acmpUrl.replace(/\/acmp$/, '');
  const latencies: number[] = [];
  const resultCodes: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  const clients = await Promise.all(
    Array.from({ length: load.connections }, async (_, i) => {
      const session = (await call(url, '/Session', '', USER)).json.Session as string;
      if (!session) throw new Error('POST /Session failed: is the demo seed loaded?');
      await call(url, '/VirtualRouter', session, { VirtualRouterName: 'BenchCallback' });
      await call(url, '/Target', session, { TargetName: `bench-${i}`, VirtualRouter: 'BenchCallback', RoutingKeys: [`bench-${i}`] });
      return { session, target: `bench-${i}` };
    }),
  );
  const started = Date.now();
  const end = started + load.durationSeconds * 1000;
  await Promise.all(
    clients.map(async ({ session, target }) => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        try {
          const pub = await call(url, '/Publish', session, {
            Body: Buffer.from(saveTicketRequest(newGuid())).toString('base64'),
            VirtualRouter: 'ACMP', Routing_Key: 'ACMP', ExchangeType: 'ROUTING',
            Callback_VirtualRouter: 'BenchCallback', Callback_Routing_Key: target,
          });
          if (pub.status !== 202) { non2xx++; continue; }
          let message: { Body: string } | undefined;
          while (!message) {
            const got = await call(url, '/Consume', session, { VirtualRouter: 'BenchCallback', TargetName: target, WaitForMessage: true, WaitTimeout: 10000, MaxMessages: 1 });
            if (got.status !== 200) { non2xx++; break; }
            message = got.json.Messages[0];
          }
          if (!message) continue;
          const code = /<ResultCode>(-?\d+)<\/ResultCode>/.exec(Buffer.from(message.Body, 'base64').toString('utf8'))?.[1] ?? 'none';
          resultCodes[code] = (resultCodes[code] ?? 0) + 1;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const report: LoadReport = {
    requestsPerSecond: latencies.length / seconds,
    responses: latencies.length,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    errors,
    timeouts: 0,
    non2xx,
    durationSeconds: seconds,
    resultCodes,
    createdIds: [],
    unansweredIds: [],
  };
  return {
    name: 'SICS bus: publish SaveTicket_V4 + consume the answer (round trips)',
    report,
    notes: [`round trips, each POST /Publish (202) then POST /Consume with WaitForMessage; ${load.connections} clients, each its own session and answer queue`],
  };
}
