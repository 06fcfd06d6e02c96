// Node processes the benchmark starts (the gateway, the minimal pipeline) and their resident
// memory: each in a process of its own, so its resident set and its CPU profile are its own.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/config';
import { freePort } from './environment';

export interface NodeChild {
  child: ChildProcess;
  port: number;
  /** Lines the process wrote to stderr (the gateway's logged errors). */
  stderrLines: () => number;
  stop(): Promise<void>;
}

/**
 * Starts `node <script>` (relative to the project root) on a free port (env PORT) and waits for
 * `ready` on its stdout. BENCH_CPU_PROF=<dir> profiles the gateway (--cpu-prof, written when it stops).
 */
export async function startNode(
  script: string,
  env: Record<string, string>,
  ready: string,
  nodeArgs: string[] = [],
): Promise<NodeChild> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, path.join(PROJECT_ROOT, script)], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let lines = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(ready)) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    child.once('exit', (code) =>
      reject(new Error(`${script} stopped with exit code ${code} before serving:\n${output}`)),
    );
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    lines += text.split('\n').filter(Boolean).length;
    if (lines <= 5) process.stderr.write(`${path.basename(script)}: ${text}`);
  });
  return {
    child,
    port,
    stderrLines: () => lines,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  );
  if (!m) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Starts the peak afresh at the current resident set (Linux: "5" resets VmHWM). */
export function resetPeak(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}
