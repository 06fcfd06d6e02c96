// Helpers of the tests that start the gateway as a real process (test/start/): ports, process
// trees, and waiting for something to happen.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs, and is not a zombie (nothing may reap orphans here). */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** pid and all its descendants. */
export function processTree(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const tree = [pid];
  for (let i = 0; i < tree.length; i++)
    for (const [child, parent] of rows) if (parent === tree[i]) tree.push(child);
  return tree;
}

/** What `probe` finds (anything but undefined), asked every 100 ms for at most `seconds`. */
export async function poll<T>(
  what: string,
  seconds: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  for (
    const end = Date.now() + seconds * 1000;
    Date.now() < end;
    await new Promise((r) => setTimeout(r, 100))
  ) {
    const found = await probe();
    if (found !== undefined) return found;
  }
  throw new Error(`not within ${seconds} s: ${what}`);
}
