// Commands on many tickets (docs/protocol.md §9: SetTicketStates_V1, SetTicketPriorities_V1, DeleteTickets_V1,
// GetTickets_V1), every change read back from the database: deleted tickets are gone with their
// comments, attachments, working times, costs, reminders and links, other tickets untouched;
// all or none; LastModified; and concurrent bulk and single-ticket writes without a deadlock.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const id = (n: number) => `{D1000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const entry = (n: number) => `{D2000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const bare = (guid: string) => guid.slice(1, -1).toLowerCase();
const [T1, T2, T3, T4, T5, T6] = [1, 2, 3, 4, 5, 6].map(id);
const [A1, C1] = [
  '{80000000-0000-4000-8000-000000000001}',
  '{90000000-0000-4000-8000-000000000001}',
];
const [ANNA, BEN] = [
  '{10000000-0000-4000-8000-000000000001}',
  '{10000000-0000-4000-8000-000000000002}',
];
const UNKNOWN = '{DEADBEEF-0000-4000-8000-000000000099}';

const list = (name: string, ids: string[]) =>
  `<${name}>${ids.map((x) => `<string>${x}</string>`).join('')}</${name}>`;
const setStates = (ids: string[], state: string) =>
  gw.post(request('SetTicketStates', 1, `${list('TicketIds', ids)}<State>${state}</State>`));
const setPriorities = (ids: string[], p: number) =>
  gw.post(request('SetTicketPriorities', 1, `${list('TicketIds', ids)}<Priority>${p}</Priority>`));
const deleteTickets = (ids: string[]) =>
  gw.post(request('DeleteTickets', 1, list('TicketIds', ids)));
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

// Everything a ticket can own, and T2 (to be deleted) linked to the tickets that stay.
const withEntries = (n: number) => ({
  Comments: [{ Id: entry(n * 10 + 1), Text: `comment of ${n}` }],
  WorkingTimes: [
    {
      Id: entry(n * 10 + 2),
      StartDate: '2026-01-05T08:00:00.000Z',
      EndDate: '2026-01-05T08:30:00.000Z',
    },
  ],
  Costs: [{ Id: entry(n * 10 + 3), UnitPrice: '12.50', Amount: 2 }],
  Attachments: [
    {
      Id: entry(n * 10 + 4),
      DocumentId: entry(n * 10 + 5),
      Name: 'Photo',
      FileName: 'a.txt',
      ContentBase64: Buffer.from(`file ${n}`).toString('base64'),
    },
  ],
  Reminders: [
    { UserId: ANNA, ReminderDate: '2026-02-01T09:00:00.000Z', Text: `remind ${n}` },
    { UserId: BEN, ReminderDate: '2026-02-02T09:00:00.000Z' },
  ],
  AssetIds: [A1],
  ClientIds: [C1],
});
const seed = {
  Tickets: [
    {
      Id: T1,
      Title: 'Printer',
      State: 'Open',
      LastModified: '2026-01-01T00:00:00.000Z',
      ...withEntries(1),
    },
    {
      Id: T2,
      Title: 'Paper jam',
      State: 'New',
      LastModified: '2026-01-01T00:00:00.000Z',
      ...withEntries(2),
      LinkedTicketIds: [T1, T4],
    },
    {
      Id: T3,
      Title: 'Network',
      State: 'InProgress',
      LastModified: '2026-01-01T00:00:00.000Z',
      ...withEntries(3),
      LinkedTicketIds: [T2, T4],
    },
    {
      Id: T4,
      Title: 'Toner',
      State: 'Waiting',
      Priority: 5,
      LastModified: '2026-01-01T00:00:00.000Z',
      LinkedTicketIds: [T1],
    },
    { Id: T5, Title: 'Monitor', State: 'Closed', LastModified: '2026-01-01T00:00:00.000Z' },
    {
      Id: T6,
      Title: 'Printer again',
      State: 'Closed',
      MasterTicketId: T1,
      LastModified: '2026-01-01T00:00:00.000Z',
    },
  ],
};

// Every table with a column naming a ticket, and those columns (read from the catalog, so a table
// added later is covered too).
async function ticketReferences(): Promise<{ table: string; column: string }[]> {
  const { rows } = await gw.db.raw(
    `select c.conrelid::regclass::text as "table", a.attname as "column"
       from pg_constraint c join pg_attribute a on a.attrelid = c.conrelid and a.attnum = any(c.conkey)
      where c.contype = 'f' and c.confrelid = 'tickets'::regclass`,
  );
  return rows;
}

/** Every row of every ticket-owned table (and the tickets) that involves none of `gone`: equal means untouched. */
async function rowsOutside(gone: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  const byTable = new Map<string, string[]>();
  for (const { table, column } of await ticketReferences())
    byTable.set(table, [...(byTable.get(table) ?? []), column]);
  byTable.set('tickets', [...(byTable.get('tickets') ?? []), 'id']);
  for (const [table, columns] of byTable) {
    const rows = await gw.db.raw(
      `select x::text as row from ${table} x where ${columns.map((c) => `(${c} is null or not ${c} = any(?::uuid[]))`).join(' and ')} order by 1`,
      columns.map(() => gone.map(bare)),
    );
    out[table] = rows.rows.map((r: { row: string }) => r.row);
  }
  return out;
}

/** Rows anywhere that still name one of `gone`. */
async function rowsNaming(gone: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const { table, column } of [
    ...(await ticketReferences()),
    { table: 'tickets', column: 'id' },
  ]) {
    const { rows } = await gw.db.raw(
      `select count(*)::int as n from ${table} where ${column} = any(?::uuid[])`,
      [gone.map(bare)],
    );
    if (rows[0].n) found.push(`${table}.${column}: ${rows[0].n}`);
  }
  return found;
}

describe('DeleteTickets_V1', () => {
  beforeEach(() => gw.reset(seed));

  test('deleted tickets are gone with their comments, attachments, working times, costs, reminders and links; other tickets untouched', async () => {
    // The seed really gave the doomed tickets something in every table.
    const owned = await gw.db.raw(
      `select (select count(*) from ticket_comments where ticket_id = any(:ids)) + (select count(*) from ticket_attachments where ticket_id = any(:ids))
            + (select count(*) from ticket_working_times where ticket_id = any(:ids)) + (select count(*) from ticket_costs where ticket_id = any(:ids))
            + (select count(*) from ticket_reminders where ticket_id = any(:ids)) + (select count(*) from ticket_assets where ticket_id = any(:ids))
            + (select count(*) from ticket_clients where ticket_id = any(:ids)) + (select count(*) from ticket_links where ticket_a = any(:ids) or ticket_b = any(:ids)) as n`,
      { ids: [bare(T2), bare(T3)] },
    );
    expect(Number(owned.rows[0].n)).toBe(2 * 8 + 4); // 8 rows each, and the links T1-T2, T2-T4, T2-T3, T3-T4
    const others = await rowsOutside([T2, T3]);
    expect(others.ticket_links.length).toBe(1); // T1-T4 stays

    const res = await deleteTickets([T3, T2]);
    expect({ code: res.resultCode, message: field(res.body, 'ResultMessage') }).toEqual({
      code: 0,
      message: 'OK',
    });
    expect(await rowsNaming([T2, T3])).toEqual([]);
    expect(await rowsOutside([T2, T3])).toEqual(others); // LastModified of linked tickets included
  });

  test('all or none: an unknown Id (30) or a master whose merged ticket stays (35) deletes nothing', async () => {
    const before = await rowsOutside([]);
    const unknown = await deleteTickets([T2, UNKNOWN]);
    expect({ code: unknown.resultCode, message: field(unknown.body, 'ResultMessage') }).toEqual({
      code: 30,
      message: `TicketIds/string[2]: no ticket with Id ${UNKNOWN}; nothing was deleted`,
    });
    const master = await deleteTickets([T2, T1]);
    expect({ code: master.resultCode, message: field(master.body, 'ResultMessage') }).toEqual({
      code: 35,
      message:
        'TicketIds/string[2]: ticket 1 has tickets merged into it (ticket 6); delete them first or in the same request; nothing was deleted',
    });
    expect(await rowsOutside([])).toEqual(before);
  });

  test('a merged ticket can be deleted, then its master; or both in one request', async () => {
    expect((await deleteTickets([T6])).resultCode).toBe(0);
    expect((await deleteTickets([T1])).resultCode).toBe(0);
    expect(await rowsNaming([T1, T6])).toEqual([]);
    await gw.reset(seed);
    expect((await deleteTickets([T1, T6])).resultCode).toBe(0);
    expect(await rowsNaming([T1, T6])).toEqual([]);
  });
});

describe('SetTicketStates_V1 and SetTicketPriorities_V1', () => {
  beforeEach(() => gw.reset(seed));
  const stored = async () =>
    Object.fromEntries(
      (await gw.db('tickets').select('id', 'state', 'priority', 'last_modified')).map((r) => [
        r.id,
        `${r.state} ${r.priority} ${r.last_modified.toISOString()}`,
      ]),
    );

  test('the new value is stored; LastModified moves only where the value changed', async () => {
    const before = await stored();
    expect((await setStates([T1, T4, T3], 'Waiting')).resultCode).toBe(0);
    const after = await stored();
    expect(after[bare(T1)]).toMatch(/^Waiting 3 /);
    expect(after[bare(T3)]).toMatch(/^Waiting 3 /);
    expect(after[bare(T1)]).not.toBe(before[bare(T1)].replace('Open', 'Waiting')); // LastModified moved
    expect(after[bare(T4)]).toBe(before[bare(T4)]); // already Waiting: unchanged, LastModified too
    for (const t of [T2, T5, T6]) expect(after[bare(t)]).toBe(before[bare(t)]);

    expect((await setPriorities([T4, T5], 5)).resultCode).toBe(0);
    const prio = await stored();
    expect(prio[bare(T4)]).toBe(after[bare(T4)]); // already 5
    expect(prio[bare(T5)]).toMatch(/^Closed 5 /); // a closed ticket's priority may change
    expect(prio[bare(T5)].slice(-24)).not.toBe(after[bare(T5)].slice(-24));
  });

  test('all or none: a refused ticket anywhere in the list leaves every ticket as it was, FirstErrorMsg names the first', async () => {
    const before = await stored();
    const closed = await setStates([T1, T2, T5, T6], 'InProgress');
    expect({ code: closed.resultCode, first: field(closed.body, 'FirstErrorMsg') }).toEqual({
      code: 35,
      first:
        'TicketIds/string[3]: ticket 5 is closed; reopen it with ReopenTicket_V1 before changing its state',
    });
    expect(field(closed.body, 'ResultMessage')).toContain(
      'TicketIds/string[4]: ticket 6 is merged into ticket 1',
    );
    const unknown = await setPriorities([T1, UNKNOWN, T6], 1);
    expect({ code: unknown.resultCode, first: field(unknown.body, 'FirstErrorMsg') }).toEqual({
      code: 30,
      first: `TicketIds/string[2]: no ticket with Id ${UNKNOWN}`,
    });
    expect(await stored()).toEqual(before);
  });
});

describe('GetTickets_V1', () => {
  beforeAll(() => gw.reset(seed));

  test('Select takes every TTicket_V5 field of the XSD, and answers exactly the fields selected (and Id)', async () => {
    const xsd = readFileSync(path.join(PROJECT_ROOT, 'schemas/xsd/types/ticket.xsd'), 'utf8');
    const v5 = /<xs:complexType name="TTicket_V5">([\s\S]*?)<\/xs:complexType>/.exec(xsd)![1];
    const fields = [...v5.matchAll(/<xs:element name="(\w+)"/g)].map((m) => m[1]);
    expect(fields.length).toBeGreaterThan(20);
    const all = await gw.post(
      request('GetTickets', 1, `${list('TicketIds', [T4])}${list('Select', [])}`),
    );
    for (const name of fields) {
      const one = await gw.post(
        request('GetTickets', 1, `${list('TicketIds', [T4])}${list('Select', [name])}`),
      );
      expect({ name, code: one.resultCode }).toEqual({ name, code: 0 });
      const item = /<TTicket_V5 [^>]*>([\s\S]*)<\/TTicket_V5>/.exec(one.body)![1];
      const answered = [...item.matchAll(/^ {12}<(\w+)/gm)].map((m) => m[1]);
      expect(answered).toEqual(name === 'Id' ? ['Id'] : ['Id', name]);
      expect(all.body).toContain(item.split('\n').filter((l) => l.includes(`<${name}`))[0]);
    }
  });
});

describe('concurrency', () => {
  const MANY = 500;
  const many = Array.from({ length: MANY }, (_, i) => id(1000 + i));
  const manySeed = {
    Tickets: many.map((t, i) => ({ Id: t, Title: `bulk ${i}`, State: 'New', Priority: 3 })),
  };
  const save = (t: string, extra: string) =>
    gw.post(
      request('SaveTicket', 4, `<Ticket xsi:type="TTicket_V4"><Id>${t}</Id>${extra}</Ticket>`),
    );
  const deadlocks = async () => {
    await new Promise((r) => setTimeout(r, 1200)); // statistics reach the shared counters within a second
    await gw.db.raw('select pg_stat_clear_snapshot()');
    return Number(
      (await gw.db.raw('select deadlocks from pg_stat_database where datname = current_database()'))
        .rows[0].deadlocks,
    );
  };

  test(`SetTicketStates_V1 over ${MANY} tickets while single-ticket saves and a reversed SetTicketPriorities_V1 run on them: all 0, consistent, no deadlock`, async () => {
    await gw.reset(manySeed);
    const deadlocksBefore = await deadlocks();
    for (let round = 0; round < 3; round++) {
      const titled = many.filter((_, i) => i % 10 === round); // 50 saves of a title
      const waiting = many.filter((_, i) => i % 50 === 7); // 10 saves of a state
      const answers = await Promise.all([
        setStates(many, round % 2 ? 'Open' : 'InProgress'),
        setPriorities([...many].reverse(), round + 1),
        ...titled.map((t) => save(t, `<Title>saved ${round}</Title>`)),
        ...waiting.map((t) => save(t, '<State>Waiting</State>')),
      ]);
      expect(answers.map((a) => a.resultCode).filter((c) => c !== 0)).toEqual([]);

      const rows = await gw
        .db('tickets')
        .select('id', 'title', 'state', 'priority')
        .whereIn('id', many.map(bare));
      const byId = new Map(rows.map((r) => [r.id, r]));
      const bulkState = round % 2 ? 'Open' : 'InProgress';
      const wrong = many.filter((t) => {
        const r = byId.get(bare(t))!;
        // A state save ran before or after the bulk one: either value, nothing else.
        const states = waiting.includes(t) ? [bulkState, 'Waiting'] : [bulkState];
        return (
          !states.includes(r.state) ||
          r.priority !== round + 1 ||
          (titled.includes(t) && r.title !== `saved ${round}`)
        );
      });
      expect(wrong).toEqual([]);
    }
    expect(await deadlocks()).toBe(deadlocksBefore);
  }, 120000);

  test('DeleteTickets_V1 racing comment and cost saves on the same tickets: each save 0 (then deleted with its ticket) or 30, nothing left behind', async () => {
    await gw.reset(manySeed);
    const doomed = many.slice(0, 100);
    const comment = (t: string, n: number) =>
      gw.post(
        request(
          'SaveTicketComment',
          1,
          `<Comment xsi:type="TTicketComment_V1"><Id>${entry(5000 + n)}</Id><TicketId>${t}</TicketId><Text>racing</Text></Comment>`,
        ),
      );
    const cost = (t: string, n: number) =>
      gw.post(
        request(
          'SaveTicketCosts',
          1,
          `<Costs><TTicketCost_V1 xsi:type="TTicketCost_V1"><Id>${entry(6000 + n)}</Id><TicketId>${t}</TicketId><UnitPrice>1.00</UnitPrice><Amount>1</Amount></TTicketCost_V1></Costs>`,
        ),
      );
    const racers = doomed.filter((_, i) => i % 5 === 0);
    const [deleted, ...saves] = await Promise.all([
      deleteTickets([...doomed].reverse()),
      ...racers.map((t, n) => comment(t, n)),
      ...racers.map((t, n) => cost(t, n)),
      setStates(many.slice(50, 150), 'Open'),
    ]);
    expect(deleted.resultCode).toBe(0);
    const codes = saves.map((a) => a.resultCode);
    expect(codes.filter((c) => c !== 0 && c !== 30)).toEqual([]);
    expect(await rowsNaming(doomed)).toEqual([]);
    // The overlapping SetTicketStates_V1 either ran first (then it set the doomed tickets too) or
    // after (then it found them gone: 30 and nothing changed); never half.
    const states = await gw
      .db('tickets')
      .select('state')
      .whereIn('id', many.slice(100, 150).map(bare));
    const last = codes[codes.length - 1];
    expect(new Set(states.map((r) => r.state))).toEqual(new Set([last === 0 ? 'Open' : 'New']));
  }, 60000);
});
