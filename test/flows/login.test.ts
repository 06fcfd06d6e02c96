// Login and the session outside the payload (docs/protocol.md §5): LoginAcmpUser_V1 / TokenLoginAcmpUser_V1
// bind a session; X-SICS-SESSION makes later requests act as its user; without a live session a
// gateway with authentication required answers 7; sessions live in PostgreSQL, shared by instances.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp } from '../../src/app';
import type { AuthMode } from '../../src/config';
import { connect } from '../../src/db/connection';
import { stepUnderTest } from '../../src/fixtures/discover';
import { passwordHashOf } from '../../src/identity/passwords';
import { endSession } from '../../src/identity/sessions';
import { revokeTokens } from '../../src/identity/tokens';
import { findUsersByName } from '../../src/identity/users';
import { listFixtureCases } from '../support/fixtures';
import { request, startTestGateway, type TestGateway, testRegistry } from '../support/gateway';

const XML = { 'Content-Type': 'text/xml; charset=utf-8' };
const BEN_SESSION = '{5E550000-0000-4000-8000-00000000000B}';
const CARLA_SESSION = '{5E550000-0000-4000-8000-00000000000C}';
const TICKET = '{59387FFD-B171-47C5-B735-041FA132CA39}';
const COMMENT = '{D2000000-0000-4000-8000-0000000000AA}';
const message = (xml: string) => /<ResultMessage>([^<]*)</.exec(xml)?.[1];
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

type Post = (
  xml: string,
  headers?: Record<string, string>,
) => Promise<{ resultCode: number; body: string }>;
const withSession = (session: string) => ({ ...XML, 'X-SICS-SESSION': session });

const loginBody = (user: string, password: string, session: string, createToken = false) =>
  request(
    'LoginAcmpUser',
    1,
    `<Username>${user}</Username><PasswordHash>${passwordHashOf(password)}</PasswordHash><SessionId>${session}</SessionId>${createToken ? '<CreateToken>true</CreateToken>' : ''}`,
  );
const tokenLoginBody = (user: string, token: string, session: string) =>
  request(
    'TokenLoginAcmpUser',
    1,
    `<UserName>${user}</UserName><Token>${token}</Token><SessionId>${session}</SessionId>`,
  );
const saveTicket = request(
  'SaveTicket',
  4,
  `<Ticket xsi:type="TTicket_V4"><Id>${TICKET}</Id><Title>Printer does not print</Title></Ticket>`,
);
const saveComment = request(
  'SaveTicketComment',
  2,
  `<Comment xsi:type="TTicketComment_V2"><Id>${COMMENT}</Id><TicketId>${TICKET}</TicketId><Text>Still jammed</Text></Comment>`,
);
const getComment = request('GetTicketComment', 2, `<CommentId>${COMMENT}</CommentId>`);
const deleteMonitors = request(
  'DeleteEmailMonitorList',
  1,
  '<EmailMonitorIds><string>{E0000000-0000-4000-8000-000000000001}</string></EmailMonitorIds>',
);

async function listen(
  app: ReturnType<typeof buildApp>,
): Promise<{ post: Post; close(): Promise<void> }> {
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/acmp`;
  return {
    async post(xml, headers = XML) {
      const res = await fetch(url, { method: 'POST', body: xml, headers });
      return { resultCode: Number(res.headers.get('x-acmp-result-code')), body: await res.text() };
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let gw: TestGateway; // authentication required
let open: { post: Post; close(): Promise<void> }; // the same database, open mode
const gatewayOn = (mode: AuthMode) =>
  listen(
    buildApp({
      db: gw.db,
      registry: testRegistry(),
      bodyLimit: '8mb',
      authMode: mode,
      log: () => {},
    }),
  );
beforeAll(async () => {
  gw = await startTestGateway('required');
  open = await gatewayOn('open');
});
afterAll(async () => {
  await open.close();
  await gw.stop();
});
beforeEach(() => gw.reset());

async function ok(post: Post, xml: string, headers?: Record<string, string>): Promise<string> {
  const res = await post(xml, headers);
  expect({ code: res.resultCode, message: message(res.body) }).toEqual({ code: 0, message: 'OK' });
  return res.body;
}
const login = (user: string, password: string, session: string, createToken = false) =>
  ok((x, h) => gw.post(x, h), loginBody(user, password, session, createToken));

describe('with authentication required, every command version but meta and login answers 7 without a live session', () => {
  const cases = listFixtureCases();
  const registry = testRegistry();
  const keys = [...registry.commands.keys()].sort();
  test.each(keys)('%s', async (key) => {
    // A request the command accepts (its first success case, else any): the 7 is not a schema error.
    const c =
      cases.find(
        (f) => f.command === key && /<ResultCode>0</.test(stepUnderTest(f).response ?? ''),
      ) ?? cases.find((f) => f.command === key)!;
    const body = stepUnderTest(c).request;
    const none = registry.commands.get(key)!.definition.permission === 'NONE';
    for (const headers of [XML, withSession('{5E550000-0000-4000-8000-0000000000FF}')]) {
      const res = await gw.post(body, headers);
      if (none) {
        expect(res.resultCode).not.toBe(7);
        continue;
      }
      expect(res.resultCode).toBe(7);
      expect(res.body).toContain(`<${key.replace(/_V\d+$/, '')} ActionType="Response"`); // the command's own response element
      expect(message(res.body)).toMatch(
        new RegExp(`^${key}.*log in with LoginAcmpUser_V1.*X-SICS-SESSION`),
      );
    }
  });
});

test("Ben logs in; SaveTicket_V4 and SaveTicketComment_V2 with X-SICS-SESSION run as Ben: the comment's Creator is Ben Support", async () => {
  expect(await login('Ben Support', 'ben-demo-password', BEN_SESSION)).toContain(
    '<LoginResult>Successful</LoginResult>',
  );
  await ok(gw.post, saveTicket, withSession(BEN_SESSION));
  await ok(gw.post, saveComment, withSession(BEN_SESSION));
  expect(field(await ok(gw.post, getComment, withSession(BEN_SESSION)), 'Creator')).toBe(
    'Ben Support',
  );
});

test('Carla (Technician) gets 35 over HTTP for a command needing a permission she lacks, and nothing changes', async () => {
  await login('Carla Field', 'carla-demo-password', CARLA_SESSION);
  const create = await gw.post(saveTicket, withSession(CARLA_SESSION));
  expect({ code: create.resultCode, message: message(create.body) }).toEqual({
    code: 35,
    message:
      'SaveTicket_V4 needs the permission TICKET_CREATE, which user Carla Field does not have; nothing was changed',
  });
  const monitors = await gw.post(deleteMonitors, withSession(CARLA_SESSION));
  expect({ code: monitors.resultCode, message: message(monitors.body) }).toEqual({
    code: 35,
    message:
      'DeleteEmailMonitorList_V1 needs the permission ADMIN, which user Carla Field does not have; nothing was changed',
  });
  expect(Number((await gw.db('tickets').count('* as n').first())!.n)).toBe(0);
  // What she may do, she can: reading the ticket list.
  await ok(gw.post, request('GetTicketList', 1, ''), withSession(CARLA_SESSION));
});

test('the demo read-only user (Dora Reader) reads but creates nothing: SaveTicket answers 35', async () => {
  const DORA_SESSION = '{5E550000-0000-4000-8000-00000000000D}';
  await login('Dora Reader', 'dora-demo-password', DORA_SESSION);
  await ok(gw.post, request('GetTicketList', 1, ''), withSession(DORA_SESSION));
  const create = await gw.post(saveTicket, withSession(DORA_SESSION));
  expect({ code: create.resultCode, message: message(create.body) }).toEqual({
    code: 35,
    message:
      'SaveTicket_V4 needs the permission TICKET_CREATE, which user Dora Reader does not have; nothing was changed',
  });
  expect(Number((await gw.db('tickets').count('* as n').first())!.n)).toBe(0);
});

test('a token from CreateToken logs in again on a new session; a revoked token answers 15', async () => {
  const token = field(await login('Ben Support', 'ben-demo-password', BEN_SESSION, true), 'Token')!;
  expect(token).toMatch(/^[0-9a-f]{32}$/);
  const again = '{5E550000-0000-4000-8000-0000000000B2}';
  expect(await ok(gw.post, tokenLoginBody('ben support', token, again))).toContain(
    '<LoginResult>Successful</LoginResult>',
  );
  await ok(gw.post, saveTicket, withSession(again));
  const [ben] = await findUsersByName(gw.db, 'Ben Support');
  await revokeTokens(gw.db, ben.id);
  const third = '{5E550000-0000-4000-8000-0000000000B3}';
  const refused = await gw.post(tokenLoginBody('Ben Support', token, third));
  expect({
    code: refused.resultCode,
    result: field(refused.body, 'LoginResult'),
    message: message(refused.body),
  }).toEqual({
    code: 15,
    result: 'IncorrectCredentials',
    message: 'Incorrect user name or credentials; nothing was logged in',
  });
  expect(refused.body).not.toContain(token);
  expect((await gw.post(getComment, withSession(third))).resultCode).toBe(7);
});

test('the 6th login of one name within the window answers 15 even with the right password, and binds nothing', async () => {
  for (let i = 0; i < 5; i++)
    expect((await gw.post(loginBody('Ben Support', 'wrong', BEN_SESSION))).resultCode).toBe(15);
  const locked = await gw.post(loginBody('BEN SUPPORT', 'ben-demo-password', BEN_SESSION));
  expect({
    code: locked.resultCode,
    result: field(locked.body, 'LoginResult'),
    message: message(locked.body),
  }).toEqual({
    code: 15,
    result: 'IncorrectCredentials',
    message: 'Incorrect user name or credentials; nothing was logged in',
  });
  expect((await gw.post(getComment, withSession(BEN_SESSION))).resultCode).toBe(7);
  // Other names are not affected.
  await login('Carla Field', 'carla-demo-password', CARLA_SESSION);
});

test('a failed login names no secret: the message is the same for a wrong password and an unknown user', async () => {
  const wrong = await gw.post(loginBody('Ben Support', 'wrong', BEN_SESSION));
  const unknown = await gw.post(loginBody('Nobody', 'ben-demo-password', BEN_SESSION));
  expect(message(wrong.body)).toBe(message(unknown.body));
  expect(wrong.body).not.toContain(passwordHashOf('wrong'));
});

test('an expired session (absolute end or idle limit passed) answers 7', async () => {
  await login('Ben Support', 'ben-demo-password', BEN_SESSION);
  expect((await gw.post(saveTicket, withSession(BEN_SESSION))).resultCode).toBe(0);
  await gw
    .db('sessions')
    .where({ id: BEN_SESSION })
    .update({ ends_at: gw.db.raw("now() - interval '1 second'") });
  await gw.settled(); // the gateway kept Ben for a second; the change in SQL is notified
  expect((await gw.post(saveComment, withSession(BEN_SESSION))).resultCode).toBe(7);
  await login('Ben Support', 'ben-demo-password', BEN_SESSION);
  await gw
    .db('sessions')
    .where({ id: BEN_SESSION })
    .update({ last_seen: gw.db.raw("now() - interval '31 minutes'") });
  const idle = await gw.post(saveComment, withSession(BEN_SESSION));
  expect({ code: idle.resultCode, message: message(idle.body) }).toEqual({
    code: 7,
    message:
      'SaveTicketComment_V2: the session in X-SICS-SESSION is unknown or has expired; log in with LoginAcmpUser_V1 (or TokenLoginAcmpUser_V1) and send its SessionId in the X-SICS-SESSION header',
  });
});

test('configured lifetimes (ACMP_SESSION_IDLE_MINUTES, ACMP_TOKEN_DAYS) decide when a session ends and a token expires', async () => {
  const limits = {
    session: { idleMs: 60_000, absoluteMs: 3_600_000 },
    tokenLifetimeMs: 86_400_000,
  };
  const short = await listen(
    buildApp({
      db: gw.db,
      registry: testRegistry(),
      bodyLimit: '8mb',
      authMode: 'required',
      log: () => {},
      limits,
    }),
  );
  try {
    const answer = await ok(
      short.post,
      loginBody('Ben Support', 'ben-demo-password', BEN_SESSION, true),
    );
    const token = field(answer, 'Token')!;
    const [stored] = await gw
      .db('sessions')
      .where({ id: BEN_SESSION })
      .select(gw.db.raw('extract(epoch from ends_at - created_at) as seconds'));
    expect(Number(stored.seconds)).toBe(3600);
    const [{ days }] = await gw
      .db('tokens')
      .select(gw.db.raw('round(extract(epoch from expires_at - created_at) / 86400) as days'));
    expect(Number(days)).toBe(1);
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    // Idle for two minutes: too long for this gateway (1 minute), fine for one with the default 30.
    await gw
      .db('sessions')
      .where({ id: BEN_SESSION })
      .update({ last_seen: gw.db.raw("now() - interval '2 minutes'") });
    expect((await gw.post(saveTicket, withSession(BEN_SESSION))).resultCode).toBe(0);
    await gw
      .db('sessions')
      .where({ id: BEN_SESSION })
      .update({ last_seen: gw.db.raw("now() - interval '2 minutes'") });
    expect((await short.post(saveComment, withSession(BEN_SESSION))).resultCode).toBe(7);
  } finally {
    await short.close();
  }
});

test('open mode: with a session the request acts as its user, without one as Settings.ApiUserId, with a dead one 7', async () => {
  await login('Ben Support', 'ben-demo-password', BEN_SESSION);
  await ok(open.post, saveTicket);
  await ok(open.post, saveComment, withSession(BEN_SESSION));
  expect(field(await ok(open.post, getComment), 'Creator')).toBe('Ben Support');
  await ok(open.post, saveComment.replace(COMMENT, '{D2000000-0000-4000-8000-0000000000AB}'));
  expect(
    field(
      await ok(open.post, getComment.replace(COMMENT, '{D2000000-0000-4000-8000-0000000000AB}')),
      'Creator',
    ),
  ).toBe('Anna Admin');
  expect(
    (await open.post(saveComment, withSession('{5E550000-0000-4000-8000-0000000000FF}')))
      .resultCode,
  ).toBe(7);
});

test("two gateway instances on one database accept each other's sessions; a session ended on one is refused on the other", async () => {
  // The second instance has its own connection pool, as another process would.
  const db2 = connect(process.env.TEST_DATABASE_URL!, { searchPath: gw.schema, poolMax: 2 });
  const other = await listen(
    buildApp({
      db: db2,
      registry: testRegistry(),
      bodyLimit: '8mb',
      authMode: 'required',
      log: () => {},
    }),
  );
  try {
    await ok(other.post, loginBody('Ben Support', 'ben-demo-password', BEN_SESSION));
    await ok(gw.post, saveTicket, withSession(BEN_SESSION));
    await ok(other.post, saveComment, withSession(BEN_SESSION));
    expect(field(await ok(gw.post, getComment, withSession(BEN_SESSION)), 'Creator')).toBe(
      'Ben Support',
    );
    await endSession(gw.db, BEN_SESSION);
    expect((await other.post(getComment, withSession(BEN_SESSION))).resultCode).toBe(7);
  } finally {
    await other.close();
    await db2.destroy();
  }
});

test('without a session the answer is 7 before the payload is read: a broken SaveTicket still gets 7, not a schema error', async () => {
  const res = await gw.post(
    request('SaveTicket', 4, '<Ticket xsi:type="TTicket_V4"><Id>not-a-guid</Id></Ticket>'),
  );
  expect(res.resultCode).toBe(7);
});
