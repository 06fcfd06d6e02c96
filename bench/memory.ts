// Peak resident memory of the gateway while it stores large attachments.
// The gateway runs as a child process (`node dist/src/main.js`) so that its resident set is its
// own, not the benchmark's; its peak is read from /proc/<pid>/status (VmHWM), reset before each
// phase through /proc/<pid>/clear_refs. Memory figures stay meaningful on a busy machine,
// unlike the throughput figures of run.ts.
//   npm run bench:memory          alone, on an embedded PostgreSQL of its own
//   BENCH_MEMORY_ROUNDS           rounds per phase (default 5)
//   BENCH_MEMORY_LIMIT_MB         the target for four concurrent saves (default 300)
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbedded } from '../src/db/embedded';
import { requestEnvelope as envelope } from '../src/tools/request-envelope';
import { resetPeak, startNode, statusKb } from './child';
import { freePort, setting } from './environment';
import { newGuid, saveTicketRequest } from './requests';

/** MaxAttachmentSizeKb of the demo seed: the largest attachment a client may send. */
const ATTACHMENT_BYTES = 3072 * 1024;
const CONCURRENT = 4;
const BASE64_CHARS = Math.ceil(ATTACHMENT_BYTES / 3) * 4;

export interface MemoryFigures {
  baselineMb: number;
  sequentialPeakMb: number;
  concurrentPeakMb: number;
  readPeakMb: number;
  limitMb: number;
  rounds: number;
}

const mb = (kb: number) => Math.round(kb / 1024);

function saveRequest(ticketId: string, id: string, content: string): string {
  return envelope(
    'SaveTicketAttachments',
    1,
    `        <TicketId>${ticketId}</TicketId>
        <Attachments>
          <TTicketAttachment_V1 xsi:type="TTicketAttachment_V1">
            <Id>${id}</Id>
            <DocumentId>${newGuid()}</DocumentId>
            <Name>Scan</Name>
            <FileName>scan.bin</FileName>
            <Content>${content}</Content>
          </TTicketAttachment_V1>
        </Attachments>`,
  );
}

async function post(url: string, body: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'text/xml; charset=utf-8' },
  });
  const text = await res.text();
  const code = res.headers.get('X-ACMP-Result-Code');
  if (res.status !== 200 || code !== '0')
    throw new Error(`HTTP ${res.status}, ResultCode ${code}: ${text.slice(0, 500)}`);
  return text;
}

/** Starts `node dist/src/main.js` on databaseUrl and waits until it serves. */
async function startGateway(databaseUrl: string): Promise<{ child: ChildProcess; url: string }> {
  // One process (ACMP_WORKERS=1): its resident set is the whole gateway's, not a cluster primary's.
  const { child, port } = await startNode(
    'dist/src/main.js',
    { DATABASE_URL: databaseUrl, ACMP_WORKERS: '1' },
    'acmp-gateway: ',
  );
  return { child, url: `http://127.0.0.1:${port}/acmp` };
}

export async function memoryScenario(
  databaseUrl: string,
  rounds = setting('BENCH_MEMORY_ROUNDS', 5),
): Promise<MemoryFigures> {
  const first = await startGateway(databaseUrl);
  const ticketId = newGuid();
  // Different bytes per request: nothing the gateway could share between them.
  const contents = Array.from({ length: CONCURRENT }, () => randomBytes(ATTACHMENT_BYTES));
  const bodies = contents.map((c) => c.toString('base64'));
  const saved: { id: string; content: Buffer }[] = [];
  const save = async (url: string, i: number) => {
    const id = newGuid();
    await post(url, saveRequest(ticketId, id, bodies[i]));
    saved.push({ id, content: contents[i] });
  };

  // Each phase on a fresh gateway: what one phase leaves in the heap does not count for the next.
  const baselineMb = await phase(first, async (url) => {
    await post(url, saveTicketRequest(ticketId));
  });
  const sequential = await phase(await startGateway(databaseUrl), async (url) => {
    for (let r = 0; r < rounds; r++) await save(url, r % CONCURRENT);
  });
  const concurrent = await phase(await startGateway(databaseUrl), async (url) => {
    for (let r = 0; r < rounds; r++) await Promise.all(contents.map((_, i) => save(url, i)));
  });
  // The read path: four concurrent GetTicketAttachment_V1, each answer compared byte for byte.
  const read = await phase(await startGateway(databaseUrl), async (url) => {
    for (let r = 0; r < rounds; r++) {
      await Promise.all(
        saved.slice(r * CONCURRENT, (r + 1) * CONCURRENT).map(async ({ id, content }) => {
          const answer = await post(
            url,
            envelope('GetTicketAttachment', 1, `        <AttachmentId>${id}</AttachmentId>`),
          );
          const text = /<Content>([^<]*)<\/Content>/.exec(answer)?.[1];
          if (text === undefined || !Buffer.from(text, 'base64').equals(content))
            throw new Error(`attachment ${id} did not come back byte for byte`);
        }),
      );
    }
  });
  return {
    baselineMb: baselineMb.baseline,
    sequentialPeakMb: sequential.peak,
    concurrentPeakMb: concurrent.peak,
    readPeakMb: read.peak,
    limitMb: setting('BENCH_MEMORY_LIMIT_MB', 300),
    rounds,
  };
}

/** Warms the gateway up, resets its peak, runs `work` and stops it: resident MB before and peak. */
async function phase(
  gateway: { child: ChildProcess; url: string },
  work: (url: string) => Promise<void>,
): Promise<{ baseline: number; peak: number }> {
  const { child, url } = gateway;
  const pid = child.pid!;
  try {
    // Warm-up: code loaded and compiled, pool connected, a small attachment saved and read.
    const ticketId = newGuid();
    await post(url, saveTicketRequest(ticketId));
    for (let i = 0; i < 3; i++) {
      const id = newGuid();
      await post(url, saveRequest(ticketId, id, randomBytes(1024).toString('base64')));
      await post(
        url,
        envelope('GetTicketAttachment', 1, `        <AttachmentId>${id}</AttachmentId>`),
      );
    }
    const baseline = statusKb(pid, 'VmRSS');
    resetPeak(pid);
    await work(url);
    return { baseline: mb(baseline), peak: mb(statusKb(pid, 'VmHWM')) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) =>
      child.exitCode !== null ? resolve(null) : child.once('exit', resolve),
    );
  }
}

export function describeMemory(f: MemoryFigures): string {
  return [
    `gateway memory (a process of its own; ${f.rounds} rounds per phase; ${ATTACHMENT_BYTES / 1024} KB attachments, ${BASE64_CHARS.toLocaleString('en')} base64 characters each):`,
    ...[
      ['resident after warm-up', `${f.baselineMb} MB`],
      ['peak, SaveTicketAttachments_V1 one at a time', `${f.sequentialPeakMb} MB`],
      [
        `peak, ${CONCURRENT} concurrent SaveTicketAttachments_V1`,
        `${f.concurrentPeakMb} MB (target below ${f.limitMb} MB: ${verdict(f)})`,
      ],
      [
        `peak, ${CONCURRENT} concurrent GetTicketAttachment_V1`,
        `${f.readPeakMb} MB (every answer byte-identical to what was saved)`,
      ],
    ].map(([label, value]) => `  ${label.padEnd(48)}${value}`),
  ].join('\n');
}

export function memoryMarkdown(f: MemoryFigures): string {
  return [
    `Gateway memory (\`node dist/src/main.js\` in a process of its own, peak resident set VmHWM, ${f.rounds} rounds per phase, ${ATTACHMENT_BYTES / 1024} KB attachments):`,
    '',
    '| Phase | Resident MB |',
    '|---|---:|',
    `| after warm-up | ${f.baselineMb} |`,
    `| peak, SaveTicketAttachments_V1 one at a time | ${f.sequentialPeakMb} |`,
    `| peak, ${CONCURRENT} concurrent SaveTicketAttachments_V1 (target below ${f.limitMb}: ${verdict(f) === 'met' ? '**met**' : '**not met**'}) | ${f.concurrentPeakMb} |`,
    `| peak, ${CONCURRENT} concurrent GetTicketAttachment_V1 | ${f.readPeakMb} |`,
  ].join('\n');
}

const verdict = (f: MemoryFigures) => (f.concurrentPeakMb < f.limitMb ? 'met' : 'NOT met');

// `npm run bench:memory`: the memory scenario alone, on an embedded PostgreSQL of its own.
if (require.main === module) {
  (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-gateway-bench-memory-'));
    chmodSync(dir, 0o755); // initdb runs as the unprivileged postgres user when we are root
    const pg = await startEmbedded(path.join(dir, 'pg'), await freePort());
    try {
      console.log(describeMemory(await memoryScenario(pg.url)));
    } finally {
      await pg.stop().catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  })().catch((e: Error) => {
    console.error(`bench failed: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}
