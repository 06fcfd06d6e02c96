// SaveTicket_V4 creates and GetTicket_V5 reads: the two throughput targets of the issue.
import type { Knex } from 'knex';
import type { BenchEnvironment } from './environment';
import { type LoadReport, runLoad, sequentialMedian, xmlHeaders } from './load';
import { getTicketRequest, newGuid, saveTicketRequest } from './requests';

export interface ScenarioResult {
  name: string;
  report?: LoadReport;
  /** Median latency in ms of 20 sequential requests. */
  single?: number;
  /** The gateway's peak resident memory (VmHWM) during the scenario, MB. */
  peakMb?: number;
  notes: string[];
}

export interface LoadSettings {
  connections: number;
  durationSeconds: number;
}

const countTickets = async (db: Knex): Promise<number> =>
  Number((await db('tickets').count({ n: '*' }))[0].n);
const bare = (id: string) => id.replace(/[{}]/g, '');

/** Every request creates a new ticket; afterwards every stored ticket must be an acknowledged one (or one in flight at the stop). */
export async function saveTicketScenario(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult> {
  const before = await countTickets(env.db);
  const report = await runLoad({ url: env.acmpUrl, ...load, bodies: 'new-ticket' });
  // Requests unanswered when autocannon stopped may still commit: wait until the count is still.
  let stored = (await countTickets(env.db)) - before;
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = (await countTickets(env.db)) - before;
    if (now === stored) break;
    stored = now;
  }
  const storedOf = async (ids: string[]) =>
    Number(
      (
        await env.db.raw('select count(*) as n from tickets where id = any(?::uuid[])', [
          ids.map(bare),
        ])
      ).rows[0].n,
    );
  const acknowledged = report.createdIds.length;
  const acknowledgedStored = await storedOf(report.createdIds);
  // Requests still in flight when autocannon closed its connections were completed by the
  // server without anyone reading the answer: they account for any difference.
  const lateStored = await storedOf(report.unansweredIds);
  const consistent = acknowledgedStored === acknowledged && stored === acknowledged + lateStored;
  const notes = [
    `check: ${stored} new tickets in the database, ${acknowledged} answers HTTP 200 + ResultCode 0: ` +
      (stored === acknowledged
        ? 'equal'
        : `the difference is ${lateStored} of the ${report.unansweredIds.length} creates still in flight when the run stopped, which the server completed`),
    `check: every acknowledged ticket is stored: ${acknowledgedStored === acknowledged ? 'yes' : `NO, ${acknowledged - acknowledgedStored} missing`}; ` +
      `every stored ticket accounted for: ${consistent ? 'yes' : 'NO'}`,
  ];
  const single = await sequentialMedian(
    env.acmpUrl,
    Array.from({ length: 22 }, () => saveTicketRequest(newGuid())),
  );
  return { name: 'SaveTicket_V4 (create, ~1 KB ticket)', report, single, notes };
}

/** Creates `count` tickets through the gateway (16 at a time) and returns their Ids. */
export async function createTickets(url: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, newGuid);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++];
      const res = await fetch(url, {
        method: 'POST',
        body: saveTicketRequest(id),
        headers: xmlHeaders,
      });
      const body = await res.text();
      if (res.headers.get('x-acmp-result-code') !== '0')
        throw new Error(`creating ticket ${id} failed: HTTP ${res.status} ${body.slice(0, 500)}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return ids;
}

/** Reads of existing tickets, round-robin over `ids`. */
export async function getTicketScenario(
  env: BenchEnvironment,
  load: LoadSettings,
  ids: string[],
): Promise<ScenarioResult> {
  const bodies = ids.map(getTicketRequest);
  const report = await runLoad({ url: env.acmpUrl, ...load, bodies });
  const single = await sequentialMedian(env.acmpUrl, bodies);
  return { name: `GetTicket_V5 (${ids.length} tickets round-robin)`, report, single, notes: [] };
}
