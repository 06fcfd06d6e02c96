// npm run bench: throughput and latency of the gateway, measured in-process against an embedded
// PostgreSQL of its own, next to a bare Express baseline on the same machine. A program that
// prints figures, not a test: only setup errors make it fail.
//   BENCH_DURATION     seconds per scenario (default 10)
//   BENCH_CONNECTIONS  concurrent connections (default 32)
//   BENCH_TICKETS      tickets generated for the list scenarios (default 100000)
// and the peak memory of the gateway storing 3 MB attachments (memory.ts; alone: npm run bench:memory).
import { setting, startBenchEnvironment } from './environment';
import { fillTickets, listScenarios } from './list-scenarios';
import { runLoad, sequentialMedian } from './load';
import { describeMemory, memoryMarkdown, memoryScenario } from './memory';
import { BASELINE, describeSetup, markdownReport, printScenario } from './report';
import { newGuid, saveTicketRequest } from './requests';
import { bulkScenarios } from './bulk-scenario';
import { jsonScenario } from './json-scenario';
import { sicsScenario } from './sics-scenario';
import { soapScenario } from './soap-scenario';
import { createTickets, getTicketScenario, LoadSettings, saveTicketScenario, ScenarioResult } from './ticket-scenarios';


/** Notes a transport's throughput as a share of plain XML's on the same run (issue: within 15 %). */
function versusPlain(r: ScenarioResult, plain: ScenarioResult): ScenarioResult {
  const share = r.report && plain.report ? r.report.requestsPerSecond / plain.report.requestsPerSecond : undefined;
  if (share === undefined) return r;
  return { ...r, notes: [...r.notes, `${(share * 100).toFixed(0)} % of plain XML SaveTicket_V4 throughput on this run (target: at least 85 %)`] };
}

async function main(): Promise<void> {
  const load: LoadSettings = { durationSeconds: setting('BENCH_DURATION', 10), connections: setting('BENCH_CONNECTIONS', 32) };
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
    // The tickets GetTicket_V5 reads; creating them also warms up the gateway.
    const readIds = await createTickets(env.acmpUrl, 1000);
    const results: ScenarioResult[] = [];
    const report = (r: ScenarioResult) => {
      results.push(r);
      printScenario(r, results.find((x) => x.name === BASELINE)?.report?.requestsPerSecond);
    };

    // Baseline: the same request in, a real SaveTicket_V4 answer (same size) out.
    const sample = await fetch(env.acmpUrl, { method: 'POST', body: saveTicketRequest(newGuid()), headers: { 'Content-Type': 'text/xml; charset=utf-8' } });
    const baselineUrl = await env.startBaseline(await sample.text());
    const baselineBodies = [saveTicketRequest(newGuid())];
    report({
      name: BASELINE,
      report: await runLoad({ url: baselineUrl, ...load, bodies: baselineBodies }),
      single: await sequentialMedian(baselineUrl, baselineBodies),
      notes: [`answers ${Buffer.byteLength(await (await fetch(baselineUrl, { method: 'POST', body: baselineBodies[0] })).text())} bytes, like SaveTicket_V4`],
    });

    const plainSave = await saveTicketScenario(env, load);
    report(plainSave);
    // The transports (spec §8): the same create through SOAP and JSON, next to plain XML on the same run.
    for (const scenario of [soapScenario, jsonScenario, sicsScenario]) report(versusPlain(await scenario(env, load), plainSave));
    report(await getTicketScenario(env, load, readIds));
    for (const r of await bulkScenarios(env, load)) report(r);

    console.log('\nmemory: a gateway in a process of its own stores and reads 3 MB attachments ...');
    const memory = await memoryScenario(env.databaseUrl);
    console.log(describeMemory(memory));

    console.log(`\nfilling the database with ${ticketCount.toLocaleString('en')} tickets for the list scenarios ...`);
    console.log(await fillTickets(env, ticketCount));
    for (const r of await listScenarios(env, load)) report(r);

    if (env.loggedErrors()) console.log(`\nthe gateway logged ${env.loggedErrors()} unexpected error(s) (ResultCode 18/19); the first ones are above`);
    console.log(`\n---- Markdown for the README ----\n\n${markdownReport(results, load, env.poolMax)}\n\n${memoryMarkdown(memory)}\n`);
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
