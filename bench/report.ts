// Printing: one block per scenario as it finishes, then a Markdown table for the README and the
// targets of the issue marked met / not met.
import os from 'node:os';
import { notOk } from './load';
import type { LoadSettings, ScenarioResult } from './ticket-scenarios';

export const BASELINE = 'Baseline: bare Express route, fixed answer';

// The issue's targets: throughput per command and p99 latency for both.
const TARGETS = [
  { scenario: 'SaveTicket_V4', label: 'SaveTicket_V4', minRps: 800, maxP99: 100 },
  { scenario: 'GetTicket_V5', label: 'GetTicket_V5', minRps: 1500, maxP99: 100 },
];

const n = (v: number, digits = 0) =>
  v.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function describeSetup(load: LoadSettings, poolMax: number): string {
  const cpus = os.cpus();
  return [
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${n(os.totalmem() / 2 ** 30, 1)} GB RAM, load average ${os
      .loadavg()
      .map((l) => n(l, 2))
      .join(' ')}`,
    `node ${process.version}; gateway, minimal pipeline (each a process of its own), baseline and PostgreSQL (embedded) on this machine, autocannon in a worker thread`,
    `${load.connections} connections, ${load.durationSeconds} s per scenario, database pool ${poolMax} (ACMP_DB_POOL_MAX), authentication ${process.env.BENCH_AUTH === 'required' ? 'required (one session, X-SICS-SESSION on every request)' : 'open (no session; BENCH_AUTH=required to log in)'}`,
  ].join('\n');
}

export function printScenario(r: ScenarioResult, baselineRps?: number): void {
  const lines = [`\n${r.name}`];
  if (r.report) {
    const x = r.report;
    lines.push(
      `  ${n(x.requestsPerSecond)} req/s (${n(x.responses)} answers in ${n(x.durationSeconds, 1)} s), latency p50 ${x.p50} ms, p99 ${x.p99} ms` +
        (baselineRps && r.name !== BASELINE
          ? `, ${ratio(x.requestsPerSecond, baselineRps)} of baseline`
          : ''),
      `  errors ${x.errors} (timeouts ${x.timeouts}), non-2xx ${x.non2xx}, ResultCodes ${JSON.stringify(x.resultCodes)}`,
    );
  }
  if (r.single !== undefined)
    lines.push(`  single request (median of 20 sequential): ${n(r.single, 1)} ms`);
  if (r.peakMb !== undefined) lines.push(`  gateway peak resident memory: ${r.peakMb} MB`);
  for (const note of r.notes) lines.push(`  ${note}`);
  console.log(lines.join('\n'));
}

function ratio(rps: number, baseline: number): string {
  return `${n((rps / baseline) * 100, 1)} %`;
}

export function markdownReport(
  results: ScenarioResult[],
  load: LoadSettings,
  poolMax: number,
): string {
  const baseline = results.find((r) => r.name === BASELINE)?.report?.requestsPerSecond;
  const rows = results.map((r) => {
    const x = r.report;
    const single = r.single === undefined ? '–' : n(r.single, 1);
    const peak = r.peakMb === undefined ? '–' : String(r.peakMb);
    if (!x) return `| ${r.name} | – | – | – | – | – | – | – | ${single} | ${peak} |`;
    const vsBaseline =
      baseline && r.name !== BASELINE
        ? ratio(x.requestsPerSecond, baseline)
        : r.name === BASELINE
          ? '100 %'
          : '–';
    return `| ${r.name} | ${n(x.requestsPerSecond)} | ${x.p50} | ${x.p99} | ${x.errors} | ${x.non2xx} | ${notOk(x, r.name === BASELINE)} | ${vsBaseline} | ${single} | ${peak} |`;
  });
  const targets = TARGETS.flatMap((t) => {
    const x = results.find((r) => r.name.startsWith(t.scenario))?.report;
    const verdict = (ok: boolean | undefined) =>
      ok === undefined ? 'not measured' : ok ? '**met**' : '**not met**';
    return [
      `| ${t.label} ≥ ${n(t.minRps)} req/s | ${x ? n(x.requestsPerSecond) : '–'} | ${verdict(x && x.requestsPerSecond >= t.minRps)} |`,
      `| ${t.label} p99 ≤ ${t.maxP99} ms | ${x ? `${x.p99} ms` : '–'} | ${verdict(x && x.p99 <= t.maxP99)} |`,
    ];
  });
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench\` (${describeSetup(load, poolMax).replace(/\n/g, '; ')}).`,
    '',
    '| Scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ResultCode ≠ 0 | vs baseline | single request ms (median of 20) | gateway peak MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    '| Target (issue) | Measured | |',
    '|---|---:|---|',
    ...targets,
  ].join('\n');
}
