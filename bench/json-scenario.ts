// JSON SaveTicket_V4 (docs/protocol.md §8.4): the same ~1 KB ticket create as the plain XML scenario, as the
// JSON a client sends to POST /api/v1/commands/SaveTicket_V4, a new ticket per request.
import { readEnvelope } from '../src/protocol/envelope';
import { xmlPayloadToJson } from '../src/protocol/json-codec';
import { readXml } from '../src/protocol/xml-reader';
import type { BenchEnvironment } from './environment';
import { runLoad, sequentialMedian } from './load';
import { newGuid, saveTicketRequest } from './requests';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

const PLACEHOLDER_ID = '{00000000-0000-4000-8000-0000000000AA}';

/** The plain scenario's SaveTicket_V4 payload as JSON; `{{id}}` stands for the ticket Id. */
function jsonSaveTicket(env: BenchEnvironment): string {
  const { payload } = readEnvelope(readXml(saveTicketRequest(PLACEHOLDER_ID)));
  const json = JSON.stringify(
    xmlPayloadToJson(payload, env.registry.get('SaveTicket', 4)!.request),
  );
  return json.replace(PLACEHOLDER_ID, '{{id}}');
}

export async function jsonScenario(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult> {
  const url = env.acmpUrl.replace(/\/acmp$/, '/api/v1/commands/SaveTicket_V4');
  const template = jsonSaveTicket(env);
  const headers = { 'content-type': 'application/json' };
  const report = await runLoad({ url, ...load, bodies: { newTicket: template }, headers });
  const ids = report.createdIds.map((id) => id.replace(/[{}]/g, ''));
  const stored = Number(
    (await env.db.raw('select count(*) as n from tickets where id = any(?::uuid[])', [ids])).rows[0]
      .n,
  );
  const notes = [
    `check: ${report.createdIds.length} creates acknowledged over JSON, ${stored} of them stored: ${stored === ids.length ? 'all' : 'NOT ALL'}`,
  ];
  const single = await sequentialMedian(
    url,
    Array.from({ length: 22 }, () => template.replace('{{id}}', newGuid())),
    20,
    headers,
  );
  return { name: 'JSON SaveTicket_V4 (create, ~1 KB ticket)', report, single, notes };
}
