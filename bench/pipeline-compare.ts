// The gateway next to the minimal pipeline (minimal-pipeline.ts): the same requests,
// the same connections, run alternately (gateway, minimal, gateway, minimal, ...) so that both
// see the same machine; the best round of each is compared. The gateway's rounds are full
// scenarios (their checks included); the minimal pipeline's are bare load runs.
import type { BenchEnvironment } from './environment';
import { type LoadJob, type LoadReport, runLoad, xmlHeaders } from './load';
import type { ScenarioResult } from './ticket-scenarios';

export interface Comparison {
  command: string;
  gateway: ScenarioResult;
  minimal: LoadReport;
  gatewayRounds: number[];
  minimalRounds: number[];
  /** Size in bytes of one answer of each, to show both answer the same. */
  gatewayBytes: number;
  minimalBytes: number;
}

/** The target: at least this share of the minimal pipeline's throughput ... */
export const MIN_SHARE = 0.85;
/** ... with p99 at most this (ms) at 32 connections. */
export const MAX_P99 = 50;

const rps = (r: ScenarioResult) => r.report?.requestsPerSecond ?? 0;

export async function compare(
  command: string,
  rounds: number,
  sample: { url: string; body: string; minimalUrl: string },
  gatewayRound: () => Promise<ScenarioResult>,
  minimalJob: Omit<LoadJob, 'url'>,
  minimalUrl: string,
): Promise<Comparison> {
  const gateway: ScenarioResult[] = [];
  const minimal: LoadReport[] = [];
  for (let i = 0; i < rounds; i++) {
    gateway.push(await gatewayRound());
    minimal.push(await runLoad({ ...minimalJob, url: minimalUrl }));
  }
  const bestGateway = gateway.reduce((a, b) => (rps(b) > rps(a) ? b : a));
  const bestMinimal = minimal.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const size = async (url: string) =>
    Buffer.byteLength(
      await (await fetch(url, { method: 'POST', body: sample.body, headers: xmlHeaders })).text(),
    );
  return {
    command,
    gateway: bestGateway,
    minimal: bestMinimal,
    gatewayRounds: gateway.map(rps),
    minimalRounds: minimal.map((m) => m.requestsPerSecond),
    gatewayBytes: await size(sample.url),
    minimalBytes: await size(sample.minimalUrl),
  };
}

const n = (v: number) => Math.round(v).toLocaleString('en');
const share = (c: Comparison) => rps(c.gateway) / c.minimal.requestsPerSecond;
const met = (c: Comparison) =>
  share(c) >= MIN_SHARE && (c.gateway.report?.p99 ?? Infinity) <= MAX_P99;

export function describeComparison(c: Comparison): string {
  const g = c.gateway.report!;
  return [
    `\n${c.command}: gateway vs minimal pipeline (best of ${c.gatewayRounds.length} alternating rounds each)`,
    `  gateway          ${n(g.requestsPerSecond)} req/s, p50 ${g.p50} ms, p99 ${g.p99} ms (rounds: ${c.gatewayRounds.map(n).join(', ')} req/s)${c.gateway.peakMb ? `, peak resident ${c.gateway.peakMb} MB` : ''}, errors ${g.errors}, ResultCodes ${JSON.stringify(g.resultCodes)}`,
    ...c.gateway.notes.map((note) => `    ${note}`),
    `  minimal pipeline ${n(c.minimal.requestsPerSecond)} req/s, p50 ${c.minimal.p50} ms, p99 ${c.minimal.p99} ms (rounds: ${c.minimalRounds.map(n).join(', ')} req/s), ResultCodes ${JSON.stringify(c.minimal.resultCodes)}`,
    `  one answer: gateway ${n(c.gatewayBytes)} bytes, minimal pipeline ${n(c.minimalBytes)} bytes`,
    `  gateway / minimal: ${(share(c) * 100).toFixed(0)} % (target ≥ ${MIN_SHARE * 100} % with p99 ≤ ${MAX_P99} ms: ${met(c) ? 'met' : 'NOT met'})`,
  ].join('\n');
}

export function comparisonMarkdown(cs: Comparison[]): string {
  return [
    '| command | gateway | minimal pipeline | gateway / minimal | target ≥ 85 %, p99 ≤ 50 ms |',
    '|---|---:|---:|---:|---|',
    ...cs.map((c) => {
      const g = c.gateway.report!;
      return `| ${c.command} | ${n(g.requestsPerSecond)} req/s, p99 ${g.p99} ms | ${n(c.minimal.requestsPerSecond)} req/s, p99 ${c.minimal.p99} ms | ${(share(c) * 100).toFixed(0)} % | ${met(c) ? '**met**' : '**not met**'} |`;
    }),
  ].join('\n');
}

/** Copies tickets into the minimal pipeline's table (same rows, so both answer the same). */
export async function copyToMinimal(env: BenchEnvironment, ids?: string[]): Promise<void> {
  if (ids)
    await env.db.raw(
      'insert into minimal_tickets select * from tickets where id = any(?::uuid[]) on conflict do nothing',
      [ids.map((id) => id.replace(/[{}]/g, ''))],
    );
  else
    await env.db.raw('truncate minimal_tickets; insert into minimal_tickets select * from tickets');
  await env.db.raw('analyze minimal_tickets');
}
