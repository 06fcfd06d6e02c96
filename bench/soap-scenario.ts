// SOAP 1.1 SaveTicket_V4 (docs/protocol.md §8.3): the same ~1 KB ticket create as the plain XML scenario, its
// payload element moved into a SOAP Body, a new ticket per request (the issue: within 15 % of
// plain XML's throughput on the same run).
import type { BenchEnvironment } from './environment';
import { runLoad, sequentialMedian } from './load';
import { newGuid, saveTicketRequest } from './requests';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

/** A SOAP 1.1 envelope around the plain scenario's SaveTicket_V4 payload; `{{id}}` stands for the ticket Id. */
export function soapSaveTicketEnvelope(id = '{{id}}'): string {
  const icql = saveTicketRequest(id);
  const payload = icql.slice(
    icql.indexOf('<TSaveTicketRequest_V4'),
    icql.indexOf('</TSaveTicketRequest_V4>') + '</TSaveTicketRequest_V4>'.length,
  );
  return `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns="http://acmp.com/soap">
  <soap:Body>
      ${payload}
  </soap:Body>
</soap:Envelope>`;
}

const SOAP_HEADERS = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"SaveTicket_V4"' };

export async function soapScenario(
  env: BenchEnvironment,
  load: LoadSettings,
): Promise<ScenarioResult> {
  const url = env.acmpUrl.replace(/\/acmp$/, '/soap');
  const report = await runLoad({
    url,
    ...load,
    bodies: { newTicket: soapSaveTicketEnvelope() },
    headers: SOAP_HEADERS,
  });
  // Every acknowledged create (HTTP 200, ResultCode 0, its TicketId in the answer) must be stored.
  const ids = report.createdIds.map((id) => id.replace(/[{}]/g, ''));
  const stored = Number(
    (await env.db.raw('select count(*) as n from tickets where id = any(?::uuid[])', [ids])).rows[0]
      .n,
  );
  const notes = [
    `check: ${report.createdIds.length} creates acknowledged over SOAP, ${stored} of them stored: ${stored === ids.length ? 'all' : 'NOT ALL'}`,
  ];
  const single = await sequentialMedian(
    url,
    Array.from({ length: 22 }, () => soapSaveTicketEnvelope(newGuid())),
  );
  return { name: 'SOAP 1.1 SaveTicket_V4 (create, ~1 KB ticket)', report, single, notes };
}
