// The three list scenarios over a large database kept between runs, so a
// million tickets are generated once, not on every run:
//   npm run bench:lists     (= npm run build && node dist/bench/lists-scenario.js)
//   BENCH_TICKETS       tickets in the database (default 1000000); a database holding another
//                       number of tickets is emptied and filled again
//   BENCH_LISTS_DIR     where the embedded PostgreSQL keeps it (default data/bench-lists, git-ignored)
//   BENCH_DURATION, BENCH_CONNECTIONS as for npm run bench
// Prints, per list, the median of 20 sequential requests and req/s + p99 at 32 connections, the
// plans PostgreSQL chose (EXPLAIN ANALYZE of the list's statements) when BENCH_EXPLAIN=1, and
// checks that every TotalCount is exact (equals count(*) of the same filter).
import { chmodSync, mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { buildApp } from '../src/app';
import { buildRegistry } from '../src/commands/registry';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { connect, migrate } from '../src/db/connection';
import { startEmbedded } from '../src/db/embedded';
import { loadSeed, readSeedFile } from '../src/db/seed';
import { TICKET_QUERIES } from '../src/domain/ticket-queries';
import { CallerCache } from '../src/identity/caller-cache';
import { generateTickets } from '../src/tools/generate-tickets';
import { resetPeak, statusKb } from './child';
import { freePort, setting } from './environment';
import { listScenarios } from './list-scenarios';
import { describeSetup, printScenario } from './report';
import { ticketListRequest, ticketQueryV1Request, ticketQueryV2Request } from './requests';
import type { LoadSettings } from './ticket-scenarios';

async function main(): Promise<void> {
  const load: LoadSettings = {
    durationSeconds: setting('BENCH_DURATION', 10),
    connections: setting('BENCH_CONNECTIONS', 32),
  };
  const wanted = setting('BENCH_TICKETS', 1_000_000);
  const dir = path.resolve(PROJECT_ROOT, process.env.BENCH_LISTS_DIR || 'data/bench-lists');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // initdb runs as the unprivileged postgres user when we are root
  const embedded = await startEmbedded(path.join(dir, 'pg'), await freePort());
  const poolMax = loadConfig().dbPoolMax;
  const db = connect(embedded.url, { poolMax, queryTimeoutMs: 0 });
  let server: Server | undefined;
  let callers: CallerCache | undefined;
  try {
    let started = Date.now();
    await migrate(db);
    console.log(`migrations: ${Date.now() - started} ms`);
    const have = Number((await db.raw('select count(*) as n from tickets')).rows[0].n);
    if (have !== wanted) {
      console.log(
        `the database holds ${have.toLocaleString('en')} tickets: filling it with ${wanted.toLocaleString('en')} ...`,
      );
      await db.raw('truncate tickets cascade');
      await loadSeed(db, readSeedFile(path.join(PROJECT_ROOT, 'fixtures/seed/demo.json')));
      started = Date.now();
      const made = await generateTickets(db, wanted);
      console.log(
        `generated ${made.tickets.toLocaleString('en')} tickets and ${made.comments.toLocaleString('en')} comments in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      await db.raw('vacuum analyze tickets, ticket_comments');
    }
    const registry = buildRegistry(path.join(PROJECT_ROOT, 'schemas'));
    callers = CallerCache.start(db); // as the gateway runs: the open mode's caller read once a second
    await callers.ready;
    const app = buildApp({
      db,
      registry,
      bodyLimit: '8mb',
      authMode: 'open',
      log: (m: string, e?: unknown) =>
        console.error(`gateway logged: ${m} ${e instanceof Error ? e.message : ''}`),
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server!.once('listening', resolve));
    const acmpUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`;

    console.log(describeSetup(load, poolMax));
    console.log(`${wanted.toLocaleString('en')} tickets in ${dir}`);
    const expected = await checkCounts(db);
    if (process.env.BENCH_EXPLAIN === '1') await explainLists(db, acmpUrl);
    // The gateway runs in this process: its peak is this process's (the load generator's worker thread included).
    const env = {
      db,
      registry,
      acmpUrl,
      resetGatewayPeak: () => resetPeak(process.pid),
      gatewayPeakMb: () => Math.round(statusKb(process.pid, 'VmHWM') / 1024),
    };
    const results = await listScenarios(
      env as unknown as Parameters<typeof listScenarios>[0],
      load,
    );
    results.forEach((r, i) => {
      const answered = Number(/TotalCount (\d+)/.exec(r.notes.join(' '))?.[1]);
      r.notes.push(
        answered === expected[i]
          ? `TotalCount exact (count(*) ${expected[i]})`
          : `TotalCount WRONG: answered ${answered}, count(*) ${expected[i]}`,
      );
      printScenario(r);
    });
  } finally {
    if (server)
      await new Promise((resolve) => {
        server!.close(resolve);
        server!.closeAllConnections();
      });
    await callers?.close();
    await db.destroy();
    await embedded.stop();
  }
}

/** The TotalCounts the three lists must answer, by count(*). */
async function checkCounts(db: import('knex').Knex): Promise<number[]> {
  const open = TICKET_QUERIES.find((q) => q.name === 'Open tickets')!;
  const count = async (sql: string) => Number((await db.raw(sql)).rows[0].n);
  const counts = [
    await count('select count(*) as n from tickets'),
    await count(`select count(*) as n from tickets where state <> 'Closed'`),
    await count(
      `select count(*) as n from tickets t where t.state in ('Open', 'InProgress') and (t.title ilike '%printer%' or t.html_description ilike '%printer%' or exists (select 1 from ticket_comments c where c.ticket_id = t.id and c.text ilike '%printer%'))`,
    ),
  ];
  console.log(
    `count(*): all ${counts[0]}, ${open.name} ${counts[1]}, "printer" Open+InProgress ${counts[2]}`,
  );
  return counts;
}

/** EXPLAIN (ANALYZE, BUFFERS) of every statement the gateway sends for one request of each list. */
async function explainLists(db: import('knex').Knex, acmpUrl: string): Promise<void> {
  const open = TICKET_QUERIES.find((q) => q.name === 'Open tickets')!;
  const requests = [
    ['GetTicketList_V1', ticketListRequest(100)],
    ['GetTicketListByQuery_V1', ticketQueryV1Request(open.id)],
    [
      'GetTicketListByQuery_V2',
      ticketQueryV2Request({
        searchText: 'printer',
        states: ['Open', 'InProgress'],
        offset: 450,
        limit: 50,
      }),
    ],
  ];
  for (const [name, body] of requests) {
    const sent: { sql: string; bindings: unknown[] }[] = [];
    const listen = (q: { sql: string; bindings?: unknown[] }) =>
      void (
        /^\s*(select|with)/i.test(q.sql) && sent.push({ sql: q.sql, bindings: q.bindings ?? [] })
      );
    db.on('query', listen);
    await fetch(acmpUrl, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/xml; charset=utf-8' },
    });
    db.off('query', listen);
    const conn = await db.client.acquireConnection();
    try {
      for (const q of sent) {
        const plan = await conn.query(`explain (analyze, buffers) ${q.sql}`, q.bindings);
        console.log(
          `\n${name}: ${q.sql}\n${plan.rows.map((r: Record<string, string>) => `  ${r['QUERY PLAN']}`).join('\n')}`,
        );
      }
    } finally {
      await db.client.releaseConnection(conn);
    }
  }
}

main().catch((e: Error) => {
  console.error(`lists-scenario failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
