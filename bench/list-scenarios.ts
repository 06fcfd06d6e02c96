// List and query scenarios over a database of exactly `count` generated tickets
// (src/tools/generate-tickets.ts: realistic titles, ~1 KB descriptions, comments, states).
import { TICKET_QUERIES } from '../src/domain/ticket-queries';
import { generateTickets } from '../src/tools/generate-tickets';
import type { BenchEnvironment } from './environment';
import { runLoad, sequentialMedian, xmlHeaders } from './load';
import { ticketListRequest, ticketQueryV1Request, ticketQueryV2Request } from './requests';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

export async function fillTickets(env: BenchEnvironment, count: number): Promise<string> {
  // Exactly `count` tickets: drop the ones the earlier scenarios created (comments etc. cascade).
  await env.db.raw('truncate tickets cascade');
  const started = Date.now();
  const made = await generateTickets(env.db, count);
  return `generated ${made.tickets.toLocaleString('en')} tickets and ${made.comments.toLocaleString('en')} comments in ${((Date.now() - started) / 1000).toFixed(1)} s`;
}

export async function listScenarios(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult[]> {
  const open = TICKET_QUERIES.find((q) => q.name === 'Open tickets');
  if (!open) throw new Error('src/domain/ticket-queries.ts has no query named "Open tickets"');
  // SearchText + States + paging: ten pages of 50, requested round-robin.
  const pages = Array.from({ length: 10 }, (_, i) =>
    ticketQueryV2Request({
      searchText: 'printer',
      states: ['Open', 'InProgress'],
      offset: i * 50,
      limit: 50,
    }),
  );
  const scenarios = [
    {
      name: 'GetTicketList_V1 (MaxCount 100)',
      command: ['GetTicketList', 1],
      bodies: [ticketListRequest(100)],
    },
    {
      name: `GetTicketListByQuery_V1 (${open.name})`,
      command: ['GetTicketListByQuery', 1],
      bodies: [ticketQueryV1Request(open.id)],
    },
    {
      name: 'GetTicketListByQuery_V2 ("printer", Open+InProgress, 10 pages of 50)',
      command: ['GetTicketListByQuery', 2],
      bodies: pages,
    },
  ] as const;

  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const [command, version] = s.command;
    if (!env.registry.get(command, version)) {
      results.push({
        name: s.name,
        notes: [`skipped: ${command}_V${version} is not in the registry yet`],
      });
      continue;
    }
    const probe = await describeAnswer(env.acmpUrl, s.bodies[0]);
    env.resetGatewayPeak();
    const report = await runLoad({ url: env.acmpUrl, ...load, bodies: [...s.bodies] });
    const peakMb = env.gatewayPeakMb();
    const single = await sequentialMedian(env.acmpUrl, [...s.bodies]);
    results.push({ name: s.name, report, single, peakMb, notes: [probe] });
  }
  return results;
}

/** Size, TotalCount and ResultCode of one answer, so the figures can be read in context. */
async function describeAnswer(url: string, body: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', body, headers: xmlHeaders });
  const text = await res.text();
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(text)?.[1];
  const items = (text.match(/<TTicketListItem_V1[ >]/g) ?? []).length;
  const code = field('ResultCode');
  const problem = code === '0' ? '' : `, ResultMessage: ${field('ResultMessage')}`;
  return `one answer: ${(Buffer.byteLength(text) / 1024).toFixed(1)} KB, ${items} tickets of TotalCount ${field('TotalCount') ?? '?'}, ResultCode ${code}${problem}`;
}
