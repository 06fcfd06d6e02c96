// ACMP_WORKERS: the gateway as `npm start` runs it, `node dist/src/main.js` on
// the benchmark's PostgreSQL, with 1 worker process and with one per core, under the same
// SaveTicket_V4 and GetTicket_V5 loads as the in-process scenarios. Each run starts a fresh
// gateway and stops it with SIGTERM. Wire it into run.ts with:
//   for (const r of await workersScenarios(env, load, readIds)) report(r);
import { type ChildProcess, spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { type BenchEnvironment, freePort } from './environment';
import { runLoad, sequentialMedian } from './load';
import { getTicketRequest, newGuid, saveTicketRequest } from './requests';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

/** `node dist/src/main.js` with ACMP_WORKERS=workers on databaseUrl, once it serves. */
export async function startGatewayProcesses(
  databaseUrl: string,
  workers: number,
): Promise<{ acmpUrl: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [path.join(PROJECT_ROOT, 'dist/src/main.js')],
    {
      env: {
        ...process.env,
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        ACMP_WORKERS: String(workers),
        ACMP_AUTH: 'open',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('acmp-gateway: authentication')) resolve(); // the last start line: every worker listens
    });
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    void exited.then((code) =>
      reject(new Error(`the gateway stopped with exit code ${code} before serving:\n${output}`)),
    );
  });
  return {
    acmpUrl: `http://127.0.0.1:${port}/acmp`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** SaveTicket_V4 creates and GetTicket_V5 reads (of `readIds`) with 1 worker and with one per core. */
export async function workersScenarios(
  env: BenchEnvironment,
  load: LoadSettings,
  readIds: string[],
): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const workers of [...new Set([1, os.availableParallelism()])]) {
    const gateway = await startGatewayProcesses(env.databaseUrl, workers);
    try {
      const label = `${workers} worker process${workers > 1 ? 'es' : ''} (ACMP_WORKERS=${workers})`;
      const save = await runLoad({ url: gateway.acmpUrl, ...load, bodies: 'new-ticket' });
      results.push({
        name: `SaveTicket_V4 create, ${label}`,
        report: save,
        single: await sequentialMedian(
          gateway.acmpUrl,
          Array.from({ length: 22 }, () => saveTicketRequest(newGuid())),
        ),
        notes: [],
      });
      const bodies = readIds.map(getTicketRequest);
      results.push({
        name: `GetTicket_V5, ${label}`,
        report: await runLoad({ url: gateway.acmpUrl, ...load, bodies }),
        single: await sequentialMedian(gateway.acmpUrl, bodies),
        notes: [],
      });
    } finally {
      await gateway.stop();
    }
  }
  return results;
}
