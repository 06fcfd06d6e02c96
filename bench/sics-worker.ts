// The SICS round-trip clients of sics-scenario.ts, in a worker thread: JSON over fetch with the
// session header and Base64 bodies, as real SICS clients are written.
import { parentPort, workerData } from 'node:worker_threads';
import { newGuid, saveTicketRequest } from './requests';
import type { SicsJob, SicsRun } from './sics-scenario';

const USER = { UserName: 'Anna Admin', Password: 'anna-demo-password' }; // fixtures/seed/demo.json

async function call(
  url: string,
  path: string,
  session: string,
  body: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-SICS-SESSION': session },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

async function run({ url, connections, durationSeconds, ackMode }: SicsJob): Promise<SicsRun> {
  const latencies: number[] = [];
  const resultCodes: Record<string, number> = {};
  let non2xx = 0;
  let errors = 0;
  const clients = await Promise.all(
    Array.from({ length: connections }, async (_, i) => {
      const session = (await call(url, '/Session', '', USER)).json.Session as string;
      if (!session) throw new Error('POST /Session failed: is the demo seed loaded?');
      await call(url, '/VirtualRouter', session, { VirtualRouterName: 'BenchCallback' });
      await call(url, '/Target', session, {
        TargetName: `bench-${i}`,
        VirtualRouter: 'BenchCallback',
        RoutingKeys: [`bench-${i}`],
      });
      return { session, target: `bench-${i}` };
    }),
  );
  const started = Date.now();
  const end = started + durationSeconds * 1000;
  await Promise.all(
    clients.map(async ({ session, target }) => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        try {
          const pub = await call(url, '/Publish', session, {
            Body: Buffer.from(saveTicketRequest(newGuid())).toString('base64'),
            VirtualRouter: 'ACMP',
            Routing_Key: 'ACMP',
            ExchangeType: 'ROUTING',
            Callback_VirtualRouter: 'BenchCallback',
            Callback_Routing_Key: target,
          });
          if (pub.status !== 202) {
            non2xx++;
            continue;
          }
          let message: { Body: string; LeaseId?: string } | undefined;
          while (!message) {
            const got = await call(url, '/Consume', session, {
              VirtualRouter: 'BenchCallback',
              TargetName: target,
              WaitForMessage: true,
              WaitTimeout: 10000,
              MaxMessages: 1,
              AckMode: ackMode,
            });
            if (got.status !== 200) {
              non2xx++;
              break;
            }
            message = got.json.Messages[0];
          }
          if (!message) continue;
          if (ackMode === 'Manual') {
            const ack = await call(url, '/Ack', session, {
              VirtualRouter: 'BenchCallback',
              TargetName: target,
              LeaseIds: [message.LeaseId],
            });
            if (ack.status !== 200 || ack.json.Acked !== 1) non2xx++;
          }
          const code =
            /<ResultCode>(-?\d+)<\/ResultCode>/.exec(
              Buffer.from(message.Body, 'base64').toString('utf8'),
            )?.[1] ?? 'none';
          resultCodes[code] = (resultCodes[code] ?? 0) + 1;
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch {
          errors++;
        }
      }
    }),
  );
  return { latencies, resultCodes, non2xx, errors, seconds: (Date.now() - started) / 1000 };
}

run(workerData as SicsJob).then(
  (r) => parentPort!.postMessage({ run: r }),
  (e) => parentPort!.postMessage({ error: String(e?.stack ?? e) }),
);
