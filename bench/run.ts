// npm run bench: throughput and latency of the gateway, measured in-process against an embedded
// PostgreSQL of its own, next to a bare Express baseline on the same machine. A program that
// prints figures, not a test: only setup errors make it fail.
//   BENCH_DURATION     seconds per scenario (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 32)
//   BENCH_TICKETS      tickets generated for the list scenarios (default 100000)
//   BENCH_ROUNDS       alternating rounds of gateway and minimal pipeline per command (default 2)
//   BENCH_COMPARE_TICKETS  tickets for the GetTicketList_V1 comparison (default 50000)
//   BENCH_ONLY=compare only the three comparisons with the minimal pipeline
//   BENCH_ONLY=sics    only the SICS round trips, with Automatic and with Manual acknowledgement
//   BENCH_CPU_PROF=<dir>   the gateway and the minimal pipeline write CPU profiles into <dir>/gateway and <dir>/minimal when they stop (node --cpu-prof)
//   BENCH_AUTH=required    the gateway requires a session: the bench logs in once and sends it on every
//                          XML request (the SOAP, JSON and SICS scenarios do not: use with BENCH_ONLY=compare)
// The gateway runs as a process of its own; its peak resident memory is printed per scenario.
// and the peak memory of the gateway storing 3 MB attachments (memory.ts; alone: npm run bench:memory).

import type { BenchEnvironment } from './environment';
import { setting, startBenchEnvironment } from './environment';
import { fillTickets, listScenarios } from './list-scenarios';
import { runLoad, sequentialMedian, xmlHeaders } from './load';
import { describeMemory, memoryMarkdown, memoryScenario } from './memory';
import { BASELINE, describeSetup, markdownReport, printScenario } from './report';
import { newGuid, saveTicketRequest } from './requests';

/** Runs a scenario and notes the gateway's peak resident memory (VmHWM, reset before) during it. */
async function withPeak(
  env: BenchEnvironment,
  scenario: () => Promise<ScenarioResult>,
): Promise<ScenarioResult> {
  env.resetGatewayPeak();
  const r = await scenario();
  return { ...r, peakMb: env.gatewayPeakMb() };
}

import { bulkScenarios } from './bulk-scenario';
import { statusKb } from './child';
import { commlogScenarios } from './commlog-scenario';
import { jsonScenario } from './json-scenario';
import { observabilityScenario } from './observability-scenario';
import {
  type Comparison,
  compare,
  comparisonMarkdown,
  copyToMinimal,
  describeComparison,
} from './pipeline-compare';
import { getTicketRequest, ticketListRequest } from './requests';
import { sicsScenario } from './sics-scenario';
import { soapScenario } from './soap-scenario';
import {
  createTickets,
  getTicketScenario,
  type LoadSettings,
  type ScenarioResult,
  saveTicketScenario,
} from './ticket-scenarios';
import { workersScenarios } from './workers-scenario';

/** Notes a transport's throughput as a share of plain XML's on the same run (issue: within 15 %). */
function versusPlain(r: ScenarioResult, plain: ScenarioResult): ScenarioResult {
  const share =
    r.report && plain.report
      ? r.report.requestsPerSecond / plain.report.requestsPerSecond
      : undefined;
  if (share === undefined) return r;
  return {
    ...r,
    notes: [
      ...r.notes,
      `${(share * 100).toFixed(0)} % of plain XML SaveTicket_V4 throughput on this run (target: at least 85 %)`,
    ],
  };
}

async function main(): Promise<void> {
  const load: LoadSettings = {
    durationSeconds: setting('BENCH_DURATION', 10),
    connections: setting('BENCH_CONNECTIONS', 32),
  };
  const ticketCount = setting('BENCH_TICKETS', 100000);

  console.log('starting the gateway on an embedded PostgreSQL in a temporary folder ...');
  const env = await startBenchEnvironment();
  let stopping = false;
  const stopOnSignal = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    env.stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);

  try {
    console.log(describeSetup(load, env.poolMax));
    const rounds = setting('BENCH_ROUNDS', 2);
    const compareTickets = setting('BENCH_COMPARE_TICKETS', 50000);
    const only = process.env.BENCH_ONLY;
    // The tickets GetTicket_V5 reads; creating them also warms up the gateway.
    const readIds = await createTickets(env.acmpUrl, 1000);
    if (only === 'sics') {
      // Alternately, so that both see the same machine: what acknowledgement costs a round trip.
      for (let round = 0; round < rounds; round++)
        for (const mode of ['Auto', 'Manual'] as const)
          printScenario(await withPeak(env, () => sicsScenario(env, load, mode)));
      return;
    }
    const minimalUrl = await env.startMinimal();
    await copyToMinimal(env, readIds);
    console.log(
      `gateway: resident ${Math.round(statusKb(env.gatewayPid, 'VmRSS') / 1024)} MB after warm-up`,
    );
    const results: ScenarioResult[] = [];
    const comparisons: Comparison[] = [];
    const report = (r: ScenarioResult) => {
      results.push(r);
      printScenario(r, results.find((x) => x.name === BASELINE)?.report?.requestsPerSecond);
    };
    const compared = (c: Comparison) => {
      comparisons.push(c);
      console.log(describeComparison(c));
      results.push(c.gateway);
    };

    // Baseline: the same request in, a real SaveTicket_V4 answer (same size) out.
    if (only !== 'compare') {
      const sample = await fetch(env.acmpUrl, {
        method: 'POST',
        body: saveTicketRequest(newGuid()),
        headers: xmlHeaders,
      });
      const baselineUrl = await env.startBaseline(await sample.text());
      const baselineBodies = [saveTicketRequest(newGuid())];
      report({
        name: BASELINE,
        report: await runLoad({ url: baselineUrl, ...load, bodies: baselineBodies }),
        single: await sequentialMedian(baselineUrl, baselineBodies),
        notes: [
          `answers ${Buffer.byteLength(await (await fetch(baselineUrl, { method: 'POST', body: baselineBodies[0] })).text())} bytes, like SaveTicket_V4`,
        ],
      });
    }

    // The minimal pipeline, alternately with the gateway: the same bodies and connections.
    const saveSample = { url: env.acmpUrl, minimalUrl, body: saveTicketRequest(newGuid()) };
    const plainSaveComparison = await compare(
      'SaveTicket_V4 create (~1 KB ticket)',
      rounds,
      saveSample,
      () => withPeak(env, () => saveTicketScenario(env, load)),
      { ...load, bodies: 'new-ticket' },
      minimalUrl,
    );
    compared(plainSaveComparison);
    const plainSave = plainSaveComparison.gateway;
    const readBodies = readIds.map(getTicketRequest);
    compared(
      await compare(
        'GetTicket_V5',
        rounds,
        { url: env.acmpUrl, minimalUrl, body: readBodies[0] },
        () => withPeak(env, () => getTicketScenario(env, load, readIds)),
        { ...load, bodies: readBodies },
        minimalUrl,
      ),
    );
    if (only !== 'compare') {
      // The transports (docs/protocol.md §8): the same create through SOAP and JSON, next to plain XML on the same run.
      for (const scenario of [soapScenario, jsonScenario, sicsScenario])
        report(versusPlain(await withPeak(env, () => scenario(env, load)), plainSave));
      for (const r of await bulkScenarios(env, load)) report(r);
      // What the communication log, the metrics and the JSON logs cost SaveTicket_V4 (on vs off, side by side).
      for (const r of await commlogScenarios(env, load)) report(r);
      report(await observabilityScenario(env, load));
      // One worker process and one per core (ACMP_WORKERS), `node dist/src/main.js` as npm start runs it.
      for (const r of await workersScenarios(env, load, readIds)) report(r);
    }

    console.log(
      `\nfilling the database with ${compareTickets.toLocaleString('en')} tickets for the GetTicketList_V1 comparison ...`,
    );
    console.log(await fillTickets(env, compareTickets));
    await copyToMinimal(env);
    const listBody = ticketListRequest(100);
    const listName = `GetTicketList_V1, newest 100 of ${compareTickets.toLocaleString('en')}`;
    compared(
      await compare(
        listName,
        rounds,
        { url: env.acmpUrl, minimalUrl, body: listBody },
        async () => {
          const r = await withPeak(env, async () => ({
            name: listName,
            report: await runLoad({ url: env.acmpUrl, ...load, bodies: [listBody] }),
            notes: [],
          }));
          return { ...r, single: await sequentialMedian(env.acmpUrl, [listBody]) };
        },
        { ...load, bodies: [listBody] },
        minimalUrl,
      ),
    );

    let memory: Awaited<ReturnType<typeof memoryScenario>> | undefined;
    if (only !== 'compare') {
      console.log(
        '\nmemory: a gateway in a process of its own stores and reads 3 MB attachments ...',
      );
      memory = await memoryScenario(env.databaseUrl);
      console.log(describeMemory(memory));

      console.log(
        `\nfilling the database with ${ticketCount.toLocaleString('en')} tickets for the list scenarios ...`,
      );
      console.log(await fillTickets(env, ticketCount));
      for (const r of await listScenarios(env, load)) report(r);
    }

    if (env.loggedErrors())
      console.log(
        `\nthe gateway logged ${env.loggedErrors()} unexpected error(s) (ResultCode 18/19); the first ones are above`,
      );
    console.log('\n---- gateway vs minimal pipeline ----');
    for (const c of comparisons) console.log(describeComparison(c));
    console.log(
      `\n---- Markdown for the README ----\n\n${comparisonMarkdown(comparisons)}\n\n${markdownReport(results, load, env.poolMax)}\n` +
        (memory ? `\n${memoryMarkdown(memory)}\n` : ''),
    );
  } finally {
    if (!stopping) {
      stopping = true;
      await env.stop();
    }
  }
}

main().catch((e: Error) => {
  console.error(`bench failed: ${e.stack ?? e.message}`);
  process.exit(1);
});
