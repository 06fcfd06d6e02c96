// Round trips per command on the hot paths: each statement is a wait on PostgreSQL
// under load, so these counts are part of the performance contract. Counted at the driver
// (every pg Client.query), against the real database. The caller (a session's user, or the open
// mode's ApiUser) is read at most once a second and kept in memory (src/identity/caller-cache.ts)
// until an identity change is notified.
import pg from 'pg';
import { CALLER_CACHE_MS } from '../../src/identity/caller-cache';
import { passwordHashOf } from '../../src/identity/passwords';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const SESSION = '{5E550000-0000-4000-8000-0000000000A1}';
const CATEGORY = '{30000000-0000-4000-8000-000000000002}';
const GROUP = '{20000000-0000-4000-8000-000000000001}';
const USER = '{10000000-0000-4000-8000-000000000002}';
const BEN = '10000000-0000-4000-8000-000000000002';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, ms = 5000): Promise<void> {
  for (const end = Date.now() + ms; !condition(); await sleep(20))
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
}
const XML = { 'Content-Type': 'text/xml; charset=utf-8' };

const ticket = (id: string, extra = '') =>
  request(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>Printer</Title><CategoryId>${CATEGORY}</CategoryId>${extra}</Ticket>`,
  );
const guid = (n: number) => `{C9000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;

let open: TestGateway;
let required: TestGateway;
let statements: string[] | undefined;
const query = pg.Client.prototype.query;

beforeAll(async () => {
  open = await startTestGateway('open');
  await open.reset(); // the demo seed
  required = await startTestGateway('required', { database: open });
  (pg.Client.prototype as { query: unknown }).query = function (
    this: pg.Client,
    config: unknown,
    ...rest: unknown[]
  ) {
    statements?.push(typeof config === 'string' ? config : (config as { text: string }).text);
    return (query as (...a: unknown[]) => unknown).call(this, config, ...rest);
  };
});
afterAll(async () => {
  pg.Client.prototype.query = query;
  await required.stop();
  await open.stop();
});

/** The statements one request sends, after one warm-up (pool connected, statements prepared). */
async function counted(
  post: () => Promise<{ resultCode: number; body: string }>,
  expectedCode = 0,
): Promise<string[]> {
  statements = [];
  const res = await post();
  const sent = statements;
  statements = undefined;
  expect({ code: res.resultCode, body: res.resultCode === expectedCode ? '' : res.body }).toEqual({
    code: expectedCode,
    body: '',
  });
  return sent;
}

test('open mode: a SaveTicket_V4 create is one statement that checks the references and inserts (the caller is in memory), then the COMMIT', async () => {
  await counted(() => open.post(ticket(guid(1))));
  // In a transaction (a create answered 19 is rolled back, docs/protocol.md §3), whose BEGIN goes
  // to PostgreSQL with the statement, in the same round trip (src/db/connection.ts).
  const sent = await counted(() => open.post(ticket(guid(2))));
  expect(sent).toHaveLength(2);
  expect(sent[0]).toMatch(/^with refs as .*insert into tickets/s);
  expect(sent[1]).toBe('COMMIT;');
});

test('a create refused for a missing reference stores nothing and names the field (30), still in one statement (and the ROLLBACK)', async () => {
  await counted(() => open.post(ticket(guid(7))));
  const sent = await counted(
    () =>
      open.post(ticket(guid(3), '<ContactId>{60000000-0000-4000-8000-0000000000FF}</ContactId>')),
    30,
  );
  expect(sent).toHaveLength(2);
  expect(sent[1]).toBe('ROLLBACK');
  // A group sent as a user is refused as well: the kind of assignee is checked in the statement.
  const asUser = await open.post(
    ticket(
      guid(4),
      `<Assignee xsi:type="TAssignee_V1"><Id>${GROUP}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>`,
    ),
  );
  expect(asUser.resultCode).toBe(30);
  expect(asUser.body).toContain(`Ticket/Assignee: no user with Id ${GROUP}`);
  expect(
    await open
      .db('tickets')
      .whereIn(
        'id',
        [guid(3), guid(4)].map((g) => g.slice(1, -1)),
      )
      .count({ n: '*' }),
  ).toEqual([{ n: 0 }]);
  // And the right kind is stored.
  expect(
    (
      await open.post(
        ticket(
          guid(5),
          `<Assignee xsi:type="TAssignee_V1"><Id>${USER}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>`,
        ),
      )
    ).resultCode,
  ).toBe(0);
});

test('a SaveTicket_V4 of an existing Id is still an edit (the insert finds it and the update runs)', async () => {
  await open.post(ticket(guid(6)));
  const edit = await open.post(
    request(
      'SaveTicket',
      4,
      `<Ticket xsi:type="TTicket_V4"><Id>${guid(6)}</Id><Title>Printer fixed</Title></Ticket>`,
    ),
  );
  expect(edit.resultCode).toBe(0);
  expect(
    await open
      .db('tickets')
      .first('title')
      .where({ id: guid(6).slice(1, -1) }),
  ).toEqual({ title: 'Printer fixed' });
});

test('open mode: GetTicketList_V1 is one statement for the page and its TotalCount', async () => {
  await counted(() => open.post(request('GetTicketList', 1, '<MaxCount>10</MaxCount>')));
  const sent = await counted(() =>
    open.post(request('GetTicketList', 1, '<MaxCount>10</MaxCount>')),
  );
  expect(sent).toHaveLength(1);
});

const logIn = async () => {
  const login = await required.post(
    request(
      'LoginAcmpUser',
      1,
      `<Username>Ben Support</Username><PasswordHash>${passwordHashOf('ben-demo-password')}</PasswordHash><SessionId>${SESSION}</SessionId>`,
    ),
  );
  expect(login.resultCode).toBe(0);
};
const getAsBen = () =>
  required.post(request('GetTicket', 5, `<TicketId>${guid(1)}</TicketId>`), {
    ...XML,
    'X-SICS-SESSION': SESSION,
  });

test('with a session, the caller is one statement (the session marked used and the user with its permissions), then kept for a second', async () => {
  await logIn();
  const first = await counted(getAsBen);
  expect(first).toHaveLength(2);
  expect(first[0]).toMatch(/from sessions s join assignees a/);
  expect(await counted(getAsBen)).toHaveLength(1);
  // After the second, the session is read again (so it still ends on time and is marked used).
  await sleep(CALLER_CACHE_MS + 50);
  expect(await counted(getAsBen)).toHaveLength(2);
});

test('a change in SQL to what a caller may do is heard by every process: the next request reads the caller again and obeys', async () => {
  await logIn();
  expect(await counted(getAsBen)).toHaveLength(2);
  expect(await counted(getAsBen)).toHaveLength(1);
  // Another process (here: the test's own pool) takes TICKET_READ from Ben's roles.
  const roles = (await open.db('assignees').first('roles').where({ id: BEN })).roles as string[];
  await open
    .db('assignees')
    .where({ id: BEN })
    .update({ roles: ['NoSuchRole'] });
  try {
    await required.settled();
    const denied = await counted(getAsBen, 35);
    expect(denied).toHaveLength(1); // the caller, read again; the command is refused before it runs
    expect(denied[0]).toMatch(/from sessions s join assignees a/);
  } finally {
    await open.db('assignees').where({ id: BEN }).update({ roles });
  }
  await required.settled();
  expect(await counted(getAsBen)).toHaveLength(2);
  // A session ended in SQL (an administrator, or another gateway's logout) is refused at once.
  await open.db('sessions').where({ id: SESSION }).delete();
  await required.settled();
  expect((await getAsBen()).resultCode).toBe(7);
});

test('while the LISTEN connection is down, nothing is kept: every request reads its caller, until it is back', async () => {
  await logIn();
  await counted(getAsBen);
  expect(await counted(getAsBen)).toHaveLength(1);
  // The database ends the listening connections (a restart, a network cut, an administrator).
  await open.db.raw(
    `select pg_terminate_backend(pid) from pg_stat_activity where query = 'listen acmp_identity' and datname = current_database()`,
  );
  await until(() => !required.callers.listening);
  expect(await counted(getAsBen)).toHaveLength(2);
  expect(await counted(getAsBen)).toHaveLength(2);
  // It listens again within a few seconds, and keeps callers again.
  await until(() => required.callers.listening, 15_000);
  await counted(getAsBen);
  expect(await counted(getAsBen)).toHaveLength(1);
}, 30_000);

test('a session is marked used at most every 30 s: a request right after another writes nothing', async () => {
  await logIn();
  const get = getAsBen;
  const lastSeen = async () =>
    (await open.db('sessions').first('last_seen').where({ id: SESSION })).last_seen.getTime();
  // Last used 45 seconds ago: the next request marks it used now.
  await open
    .db('sessions')
    .update({ last_seen: open.db.raw("now() - interval '45 seconds'") })
    .where({ id: SESSION });
  await required.settled();
  const stale = await lastSeen();
  expect((await get()).resultCode).toBe(0);
  const touched = await lastSeen();
  expect(touched).toBeGreaterThan(stale + 30_000);
  // Right after: still alive, nothing written.
  expect((await get()).resultCode).toBe(0);
  expect(await lastSeen()).toBe(touched);
});
