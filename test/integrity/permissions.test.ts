// Per-command permissions (docs/protocol.md §5), over the whole registry: every command version's first
// success fixture case is run with a caller lacking exactly the permission it needs (35 naming
// command and permission, nothing changed) and with a caller holding only that permission (the
// fixture's own answer). The declarations are checked against docs/protocol.md §5's table, hard-coded here.

import { saveTicket } from '../../src/domain/tickets';
import { type FixtureCase, stepUnderTest } from '../../src/fixtures/discover';
import {
  ANONYMOUS,
  type Caller,
  openModeCaller,
  PERMISSIONS,
  type Permission,
} from '../../src/identity/caller';
import { readEnvelope } from '../../src/protocol/envelope';
import { processCommand } from '../../src/protocol/process-command';
import { readXml } from '../../src/protocol/xml-reader';
import { PermissionDenied } from '../../src/vocabulary/errors';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { listFixtureCases } from '../support/fixtures';
import { request, testRegistry } from '../support/gateway';

const registry = testRegistry();
let t: TestDatabase;
let tables: string[];
beforeAll(async () => {
  t = await createTestDatabase();
  tables = (
    await t.db.raw(
      `select tablename from pg_tables where schemaname = current_schema() and tablename not like 'knex_%' order by 1`,
    )
  ).rows.map((r: { tablename: string }) => r.tablename);
});
afterAll(async () => {
  await t.close();
});

const log = () => {};
const resultCode = (xml: string | undefined) =>
  Number(/<ResultCode>(-?\d+)<\/ResultCode>/.exec(xml ?? '')?.[1]);
const message = (xml: string) => /<ResultMessage>([^<]*)<\/ResultMessage>/.exec(xml)?.[1] ?? '';
const withOnly = (caller: Caller, permissions: Permission[]): Caller => ({
  ...caller,
  permissions: new Set(permissions),
});
const without = (caller: Caller, p: Permission) =>
  withOnly(
    caller,
    PERMISSIONS.filter((q) => q !== p),
  );
const run = (body: string, caller: Caller) =>
  processCommand(body, { db: t.db, registry, caller }, log);

/** A digest of every table's rows and of the ticket number sequence: equal means nothing changed. */
async function digest(): Promise<Record<string, string>> {
  const columns = tables.map(
    (name) =>
      `(select md5(coalesce(string_agg(x::text, ',' order by x::text), '')) from "${name}" x) as "${name}"`,
  );
  const { rows } = await t.db.raw(
    `select ${columns.join(', ')}, (select last_value || '/' || is_called from ticket_number_seq) as ticket_number_seq`,
  );
  return rows[0];
}

/** Loads the case's seed and runs the steps before the step under test as the API user; returns that step's request. */
async function prepare(
  c: FixtureCase,
): Promise<{ body: string; expected: number; apiUser: Caller }> {
  await t.reset(...(c.seed ? [c.seed] : []));
  const apiUser = await openModeCaller(t.db);
  const step = stepUnderTest(c);
  for (const before of c.steps.slice(0, c.steps.indexOf(step))) await run(before.request, apiUser);
  return { body: step.request, expected: resultCode(step.response), apiUser };
}

/** The permission a request needs, as the command declares it (SaveTicket asks the database). */
async function needed(body: string, caller: Caller): Promise<Permission | 'NONE'> {
  const envelope = readEnvelope(readXml(body));
  const rule = registry.get(envelope.command, envelope.version)!.definition.permission;
  if (typeof rule !== 'function') return rule;
  const Id = /<Id>([^<]+)<\/Id>/.exec(body)![1]; // SaveTicket: the Ticket's Id comes first
  return rule({ Ticket: { Id } }, { db: t.db, registry, caller });
}

const cases = listFixtureCases();
// TokenLoginAcmpUser_V1 (permission NONE) has no success fixture: a token is random (catalog.test.ts).
const firstSuccess = [...registry.commands.keys()]
  .filter((key) => key !== 'TokenLoginAcmpUser_V1')
  .sort()
  .map((key) => {
    const c = cases.find((f) => f.command === key && resultCode(stepUnderTest(f).response) === 0);
    return [key, c] as const;
  });

describe.each(firstSuccess)('%s', (key, c) => {
  test('a caller without the permission it needs gets 35 naming both, and nothing changes; with only that permission it succeeds', async () => {
    expect(c).toBeDefined(); // catalog.test.ts asks for one success case per command version
    const { body, expected, apiUser } = await prepare(c!);
    const permission = await needed(body, apiUser);
    if (permission === 'NONE') {
      expect(resultCode((await run(body, withOnly(apiUser, []))).xml)).toBe(expected);
      expect(resultCode((await run(body, ANONYMOUS)).xml)).toBe(expected);
      return;
    }
    const before = await digest();
    const denied = await run(body, without(apiUser, permission));
    expect({ code: denied.resultCode, message: message(denied.xml) }).toEqual({
      code: 35,
      message: `${key} needs the permission ${permission}, which user ${apiUser.name} does not have; nothing was changed`,
    });
    expect(denied.xml).toContain(`<${key.replace(/_V\d+$/, '')} ActionType="Response"`);
    expect(await digest()).toEqual(before);

    const allowed = await run(body, withOnly(apiUser, [permission]));
    expect({
      code: allowed.resultCode,
      message: allowed.resultCode ? message(allowed.xml) : '',
    }).toEqual({ code: expected, message: '' });
  });
});

describe('SaveTicket: create needs TICKET_CREATE, an edit TICKET_UPDATE', () => {
  const ID = '{B1000000-0000-4000-8000-0000000000F1}';
  const save = (title: string) =>
    request(
      'SaveTicket',
      4,
      `<Ticket xsi:type="TTicket_V4"><Id>${ID}</Id><Title>${title}</Title></Ticket>`,
    );
  const titleOf = async () =>
    (
      await t
        .db('tickets')
        .first('title')
        .where({ id: ID.slice(1, -1) })
    )?.title;

  test('a create with only TICKET_UPDATE is refused naming TICKET_CREATE; with TICKET_CREATE it is stored', async () => {
    await t.reset();
    const apiUser = await openModeCaller(t.db);
    const denied = await run(save('new'), withOnly(apiUser, ['TICKET_UPDATE', 'TICKET_READ']));
    expect(denied.resultCode).toBe(35);
    expect(message(denied.xml)).toBe(
      `SaveTicket_V4 needs the permission TICKET_CREATE, which user ${apiUser.name} does not have; nothing was changed`,
    );
    expect(await titleOf()).toBeUndefined();
    expect((await run(save('new'), withOnly(apiUser, ['TICKET_CREATE']))).resultCode).toBe(0);
    expect(await titleOf()).toBe('new');
  });

  test('an edit with only TICKET_CREATE is refused naming TICKET_UPDATE; with TICKET_UPDATE it is stored', async () => {
    await t.reset();
    const apiUser = await openModeCaller(t.db);
    expect((await run(save('first'), apiUser)).resultCode).toBe(0);
    const denied = await run(save('changed'), withOnly(apiUser, ['TICKET_CREATE', 'TICKET_READ']));
    expect(denied.resultCode).toBe(35);
    expect(message(denied.xml)).toBe(
      `SaveTicket_V4 needs the permission TICKET_UPDATE, which user ${apiUser.name} does not have; nothing was changed`,
    );
    expect(await titleOf()).toBe('first');
    expect((await run(save('changed'), withOnly(apiUser, ['TICKET_UPDATE']))).resultCode).toBe(0);
    expect(await titleOf()).toBe('changed');
  });

  test('an identical retry of a create changes nothing and needs only TICKET_CREATE (its first answer may have been lost: docs/protocol.md §3)', async () => {
    await t.reset();
    const apiUser = await openModeCaller(t.db);
    const intake = withOnly(apiUser, ['TICKET_CREATE']);
    const first = await run(save('new'), intake);
    const before = await digest();
    const again = await run(save('new'), intake);
    expect({ code: again.resultCode, message: again.resultCode ? message(again.xml) : '' }).toEqual(
      { code: 0, message: '' },
    );
    // The same ticket, number and all, and not a thing changed (LastModified included).
    expect(/<TicketNumber>(\d+)/.exec(again.xml)?.[1]).toBe(
      /<TicketNumber>(\d+)/.exec(first.xml)?.[1],
    );
    expect(await digest()).toEqual(before);
  });

  test('with only TICKET_CREATE, a save that would change the stored ticket is refused, also when the ticket changed after the permission was decided', async () => {
    await t.reset();
    const apiUser = await openModeCaller(t.db);
    const intake = withOnly(apiUser, ['TICKET_CREATE']);
    expect((await run(save('new'), intake)).resultCode).toBe(0);
    // Another user edits the ticket between the permission and the save: the handler decides
    // again under the ticket's lock.
    await run(save('edited meanwhile'), apiUser);
    const before = await digest();
    const late = saveTicket(t.db, { id: ID, title: 'new' }, intake);
    await expect(late).rejects.toBeInstanceOf(PermissionDenied);
    await expect(late).rejects.toThrow(
      `exists and this save would change it, which needs the permission TICKET_UPDATE that user ${apiUser.name} does not have; nothing was changed`,
    );
    expect(await digest()).toEqual(before);
    expect(await titleOf()).toBe('edited meanwhile');
  });
});

// docs/protocol.md §5's table, written out here because the spec is the authority, not the command files.
const SPEC_TABLE: Record<string, Permission | 'NONE' | 'TICKET_CREATE or TICKET_UPDATE'> = {
  GetCommandVersions: 'NONE',
  GetCommandSchemas: 'NONE',
  LoginAcmpUser: 'NONE',
  TokenLoginAcmpUser: 'NONE',
  SaveTicket: 'TICKET_CREATE or TICKET_UPDATE',
  SaveTicketComment: 'TICKET_UPDATE',
  DeleteTicketComment: 'TICKET_UPDATE',
  SaveTicketAttachments: 'TICKET_UPDATE',
  DeleteTicketAttachments: 'TICKET_UPDATE',
  SaveTicketWorkingTime: 'TICKET_UPDATE',
  DeleteTicketWorkingTimeList: 'TICKET_UPDATE',
  SaveTicketCosts: 'TICKET_UPDATE',
  DeleteTicketCosts: 'TICKET_UPDATE',
  SaveReminderOfTicket: 'TICKET_UPDATE',
  DeleteReminderOfTicket: 'TICKET_UPDATE',
  LinkAssetsToTicket: 'TICKET_UPDATE',
  LinkClientsToTicket: 'TICKET_UPDATE',
  LinkTicketsToTicket: 'TICKET_UPDATE',
  UnlinkAssetsFromTicket: 'TICKET_UPDATE',
  UnlinkClientsFromTicket: 'TICKET_UPDATE',
  UnlinkTicketsFromTicket: 'TICKET_UPDATE',
  CloseTicket: 'SET_STATUS',
  ReopenTicket: 'SET_STATUS',
  MergeTickets: 'SET_STATUS',
  SetTicketStates: 'SET_STATUS',
  SetTicketPriorities: 'TICKET_UPDATE',
  DeleteTickets: 'TICKET_DELETE',
  DeleteEmailMonitorList: 'ADMIN',
};
const specPermission = (name: string) =>
  SPEC_TABLE[name] ?? (name.startsWith('Get') ? 'TICKET_READ' : undefined);

test('every command version declares the permission of docs/protocol.md §5', () => {
  const declared = [...registry.commands.values()].map(({ key, definition: d }) => {
    const p = typeof d.permission === 'function' ? 'TICKET_CREATE or TICKET_UPDATE' : d.permission;
    return `${key}: ${p}`;
  });
  const expected = [...registry.commands.values()].map(
    ({ key, definition: d }) => `${key}: ${specPermission(d.name)}`,
  );
  expect(declared).toEqual(expected);
});
