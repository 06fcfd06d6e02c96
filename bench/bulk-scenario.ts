// Commands on many tickets: GetTickets_V1 of 100 Ids with a 5-field Select, and
// SetTicketPriorities_V1 over 100 tickets. Own tickets, in groups of 100, one group per connection,
// so that the figures show the commands rather than requests queueing on each other's locks.
import { requestEnvelope as envelope } from '../src/tools/request-envelope';
import type { BenchEnvironment } from './environment';
import { runLoad, sequentialMedian } from './load';
import { createTickets, type LoadSettings, type ScenarioResult } from './ticket-scenarios';

const GROUP = 100;
const SELECT = ['Title', 'State', 'Priority', 'Assignee', 'LastModified'];

const list = (name: string, items: string[]) =>
  `        <${name}>${items.map((x) => `<string>${x}</string>`).join('')}</${name}>`;

export function getTicketsRequest(ids: string[], select: string[]): string {
  return envelope('GetTickets', 1, `${list('TicketIds', ids)}\n${list('Select', select)}`);
}

export function setTicketPrioritiesRequest(ids: string[], priority: number): string {
  return envelope(
    'SetTicketPriorities',
    1,
    `${list('TicketIds', ids)}\n        <Priority>${priority}</Priority>`,
  );
}

export async function bulkScenarios(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult[]> {
  const groupCount = Math.max(1, load.connections);
  const ids = await createTickets(env.acmpUrl, groupCount * GROUP);
  const groups = Array.from({ length: groupCount }, (_, g) =>
    ids.slice(g * GROUP, (g + 1) * GROUP),
  );

  const reads = groups.map((g) => getTicketsRequest(g, SELECT));
  env.resetGatewayPeak();
  const readReport = await runLoad({ url: env.acmpUrl, ...load, bodies: reads });
  const read: ScenarioResult = {
    name: `GetTickets_V1 (${GROUP} Ids, Select of ${SELECT.length} fields)`,
    report: readReport,
    peakMb: env.gatewayPeakMb(),
    single: await sequentialMedian(env.acmpUrl, reads),
    notes: [`${groupCount} groups of ${GROUP} tickets round-robin; Select ${SELECT.join(', ')}`],
  };

  // Round-robin visits every group with priority 1, then every group with 2 …: each request
  // really changes its 100 tickets (an unchanged value is not written).
  const writes = [1, 2, 3, 4, 5].flatMap((p) =>
    groups.map((g) => setTicketPrioritiesRequest(g, p)),
  );
  env.resetGatewayPeak();
  const report = await runLoad({ url: env.acmpUrl, ...load, bodies: writes });
  const peakMb = env.gatewayPeakMb();
  // All or none: every group of 100 must end with one priority.
  const mixed: number[] = [];
  for (let g = 0; g < groups.length; g++) {
    const r = await env.db.raw(
      'select count(distinct priority)::int as n from tickets where id = any(?::uuid[])',
      [groups[g].map((x) => x.slice(1, -1))],
    );
    if (r.rows[0].n !== 1) mixed.push(g);
  }
  const write: ScenarioResult = {
    name: `SetTicketPriorities_V1 (${GROUP} tickets)`,
    report,
    peakMb,
    single: await sequentialMedian(env.acmpUrl, writes),
    notes: [
      `${groupCount} groups of ${GROUP} tickets round-robin, the priority changing on every visit`,
      `check: every group of ${GROUP} ends with one priority (all or none): ${mixed.length ? `NO, groups ${mixed.join(', ')}` : 'yes'}`,
    ],
  };
  return [read, write];
}
