// The three large lists must cost what their page costs (migration 015): checked on the
// plans PostgreSQL makes for the statements the gateway sends, not on timings. Sequential scans
// are switched off for the EXPLAIN, so the plan shows whether the intended index can serve the
// statement at all (with 3,000 tickets the planner might rightly prefer a scan).
import { TICKET_QUERIES } from '../../src/domain/ticket-queries';
import { generateTickets } from '../../src/tools/generate-tickets';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { listV2Request } from '../support/ticket-lists';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
  await gw.reset();
  await generateTickets(gw.db, 3000);
});
afterAll(() => gw.stop());

/**
 * The plans of the SELECTs one request sends, as text; `without` indexes are dropped for the
 * EXPLAIN only (in a transaction rolled back), when with few tickets another one looks cheaper.
 */
async function plansOf(body: string, without: string[] = []): Promise<string> {
  const sent: { sql: string; bindings: unknown[] }[] = [];
  const listen = (q: { sql: string; bindings?: unknown[] }) =>
    void (
      /^\s*(select|with)/i.test(q.sql) && sent.push({ sql: q.sql, bindings: q.bindings ?? [] })
    );
  gw.db.on('query', listen);
  const res = await gw.post(body);
  gw.db.off('query', listen);
  expect(res.resultCode).toBe(0);
  const conn = await gw.db.client.acquireConnection();
  try {
    await conn.query('begin');
    await conn.query('set local enable_seqscan = off');
    for (const index of without) await conn.query(`drop index ${index}`);
    const plans: string[] = [];
    // The open-mode caller lookup is not part of the list.
    for (const q of sent.filter((s) => !/from "?users/i.test(s.sql)))
      plans.push(
        (await conn.query(`explain ${q.sql}`, q.bindings)).rows
          .map((r: Record<string, string>) => r['QUERY PLAN'])
          .join('\n'),
      );
    await conn.query('rollback');
    return plans.join('\n\n');
  } finally {
    await gw.db.client.releaseConnection(conn);
  }
}
const open = TICKET_QUERIES.find((q) => q.name === 'Open tickets')!.id;

test('GetTicketList_V1: the newest page walks tickets_creation_date, TotalCount is summed from ticket_counts', async () => {
  const plan = await plansOf(request('GetTicketList', 1, '<MaxCount>100</MaxCount>'));
  expect(plan).toMatch(/Index Scan Backward using tickets_creation_date on tickets/);
  expect(plan).toMatch(/on ticket_counts/);
  expect(plan).not.toMatch(/Aggregate[^\n]*\n[^\n]*(Scan|Scan Backward)[^\n]* on tickets /);
});

test('GetTicketListByQuery_V1 "Open tickets": the page walks the open tickets only, TotalCount from ticket_counts', async () => {
  const plan = await plansOf(request('GetTicketListByQuery', 1, `<QueryId>${open}</QueryId>`));
  expect(plan).toMatch(/Index Scan Backward using tickets_open_creation_date on tickets/);
  expect(plan).toMatch(/on ticket_counts/);
});

test('GetTicketListByQuery_V2 SearchText among open states: the trigram indexes over open tickets, one statement', async () => {
  // Over 3,000 fresh tickets (nearly all open) the open tickets' btree index and the description
  // index over all tickets look as good: without them, is the open one usable?
  const plan = await plansOf(
    listV2Request({
      searchText: 'printer',
      states: ['Open', 'InProgress'],
      offset: 50,
      limit: 50,
      orderBy: 'LastModified',
    }),
    ['tickets_open_creation_date', 'tickets_description_trgm'],
  );
  expect(plan).toMatch(/Bitmap Index Scan on tickets_open_title_trgm/);
  expect(plan).toMatch(/Bitmap Index Scan on tickets_open_html_description_trgm/);
  expect(plan.split('\n\n')).toHaveLength(1);
});

test('SearchText that may match closed tickets keeps to the indexes over all tickets', async () => {
  const plan = await plansOf(listV2Request({ searchText: 'printer', states: ['Open', 'Closed'] }));
  expect(plan).toMatch(/Bitmap Index Scan on tickets_title_trgm/);
  expect(plan).not.toMatch(/tickets_open_title_trgm/);
});
