// ticket_counts (migration 015) must equal count(*) of tickets per (state, assignee, category)
// after every kind of change the gateway makes, inside rolled-back transactions and under
// concurrent writers and folds; the lists' TotalCount is read from it.

import type { Knex } from 'knex';
import { migrate } from '../../src/db/connection';
import { migrationSource } from '../../src/db/migrations';
import { compactTicketCounts } from '../../src/domain/ticket-counts';
import { TICKET_QUERIES } from '../../src/domain/ticket-queries';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { parseList } from '../support/ticket-lists';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const ANNA = '{10000000-0000-4000-8000-000000000001}';
const BEN = '{10000000-0000-4000-8000-000000000002}';
const FIRST_LEVEL = '{20000000-0000-4000-8000-000000000001}';
const CATEGORIES = [
  '{30000000-0000-4000-8000-000000000001}',
  '{30000000-0000-4000-8000-000000000002}',
  '',
];
const ASSIGNEES: [string, boolean][] = [
  [ANNA, false],
  [BEN, false],
  [FIRST_LEVEL, true],
  ['', false],
];
const STATES = ['New', 'Open', 'InProgress', 'Waiting', 'Closed'];
const guid = (i: number) => `{E1000000-0000-4000-8000-${String(i).padStart(12, '0')}}`;

const ok = async (xml: string) => {
  const res = await gw.post(xml);
  expect({ code: res.resultCode, body: res.resultCode === 0 ? '' : res.body }).toEqual({
    code: 0,
    body: '',
  });
};

/** SaveTicket_V4: creates ticket i, or edits it; the three counted fields vary with `v`. */
function save(i: number, v: number, fields: { state?: boolean } = { state: true }): string {
  const [assignee, isGroup] = ASSIGNEES[v % ASSIGNEES.length];
  const category = CATEGORIES[v % CATEGORIES.length];
  return request(
    'SaveTicket',
    4,
    `        <Ticket xsi:type="TTicket_V4">
          <Id>${guid(i)}</Id>
          <Title>Counted ticket ${i}</Title>
          <CategoryId>${category}</CategoryId>
          ${fields.state ? `<State>${STATES[v % 4]}</State>` : ''}
          <Assignee xsi:type="TAssignee_V1">${assignee ? `<Id>${assignee}</Id><AssigneeIsGroup>${isGroup}</AssigneeIsGroup>` : ''}</Assignee>
        </Ticket>`,
  );
}
const ids = (list: number[]) =>
  `<TicketIds>${list.map((i) => `<string>${guid(i)}</string>`).join('')}</TicketIds>`;
const setStates = (list: number[], state: string) =>
  request('SetTicketStates', 1, `${ids(list)}<State>${state}</State>`);
const close = (i: number) =>
  request(
    'CloseTicket',
    1,
    `<TicketId>${guid(i)}</TicketId><Assignee xsi:type="TAssignee_V1"><Id>${BEN}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>`,
  );
const reopen = (i: number) => request('ReopenTicket', 1, `<TicketId>${guid(i)}</TicketId>`);
const merge = (into: number, list: number[]) =>
  request('MergeTickets', 1, `<TicketId>${guid(into)}</TicketId>${ids(list)}`);
const remove = (list: number[]) => request('DeleteTickets', 1, ids(list));

const GROUPS = `state, coalesce(assignee_id::text, '-') as a, coalesce(category_id::text, '-') as c`;
/** Per group: what the counters say, and what counting the tickets says. */
async function counted(db: Knex = gw.db) {
  const rows = async (sql: string) =>
    (await db.raw(sql)).rows.map(
      (r: Record<string, unknown>) => `${r.state} ${r.a} ${r.c}: ${r.n}`,
    );
  return {
    counters: await rows(
      `select ${GROUPS}, sum(n)::int as n from ticket_counts group by 1, 2, 3 having sum(n) <> 0 order by 1, 2, 3`,
    ),
    tickets: await rows(
      `select ${GROUPS}, count(*)::int as n from tickets group by 1, 2, 3 order by 1, 2, 3`,
    ),
  };
}
async function expectExact(db: Knex = gw.db) {
  const { counters, tickets } = await counted(db);
  expect(counters).toEqual(tickets);
}

describe('ticket_counts follows every change', () => {
  beforeAll(() => gw.reset());

  test('creates, also 40 at once', async () => {
    await Promise.all(Array.from({ length: 40 }, (_, i) => ok(save(i + 1, i))));
    await expectExact();
    expect(Number((await gw.db.raw('select sum(n) as n from ticket_counts')).rows[0].n)).toBe(40);
  });

  test('edits of state, assignee and category; edits of other fields add no rows', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => ok(save(i + 1, i + 5))));
    await expectExact();
    const before = Number((await gw.db.raw('select count(*) as n from ticket_counts')).rows[0].n);
    await ok(
      request(
        'SaveTicket',
        4,
        `<Ticket xsi:type="TTicket_V4"><Id>${guid(1)}</Id><Priority>5</Priority></Ticket>`,
      ),
    );
    expect(Number((await gw.db.raw('select count(*) as n from ticket_counts')).rows[0].n)).toBe(
      before,
    );
  });

  test('SetTicketStates, CloseTicket, ReopenTicket, MergeTickets', async () => {
    await ok(setStates([21, 22, 23, 24, 25], 'Waiting'));
    await expectExact();
    await ok(close(26));
    await ok(close(27));
    await expectExact();
    await ok(reopen(26));
    await expectExact();
    await ok(merge(28, [29, 30, 31]));
    await expectExact();
  });

  test('DeleteTickets_V1', async () => {
    await ok(remove([32, 33, 28, 29, 30, 31])); // a master with its merged tickets
    await expectExact();
  });

  test('a refused batch and a rolled-back transaction leave the counters as they were, and change them inside', async () => {
    const before = await counted();
    const refused = await gw.post(setStates([34, 35, 9999], 'Waiting'));
    expect(refused.resultCode).toBe(30);
    expect(await counted()).toEqual(before);

    await expect(
      gw.db.transaction(async (trx) => {
        await trx('tickets').where('number', '<', 10).update({ state: 'Closed' });
        await trx('tickets').where('number', '>', 35).delete();
        await trx('tickets').insert({
          id: 'e1000000-0000-4000-8000-000000009998',
          title: 'rolled back',
          priority: 3,
          state: 'New',
        });
        await expectExact(trx); // the writer sees its own changes counted
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await counted()).toEqual(before);
  });

  test('the lists answer TotalCount from the counters, equal to count(*)', async () => {
    for (const q of TICKET_QUERIES) {
      const res = parseList(
        (await gw.post(request('GetTicketListByQuery', 1, `<QueryId>${q.id}</QueryId>`))).body,
      );
      expect({ query: q.name, total: res.totalCount }).toEqual({
        query: q.name,
        total: res.items.length,
      });
    }
    const all = parseList(
      (await gw.post(request('GetTicketList', 1, '<MaxCount>1</MaxCount>'))).body,
    );
    expect(all.totalCount).toBe(Number((await gw.db('tickets').count({ n: '*' }))[0].n));
    // A stray counter row shows in TotalCount: the count is read from ticket_counts.
    await gw.db('ticket_counts').insert({ state: 'New', n: 1000 });
    expect(
      parseList((await gw.post(request('GetTicketList', 1, '<MaxCount>1</MaxCount>'))).body)
        .totalCount,
    ).toBe(all.totalCount! + 1000);
    await gw.db('ticket_counts').insert({ state: 'New', n: -1000 });
  });

  test('emptying tickets (TRUNCATE) empties the counters', async () => {
    await gw.db.raw('truncate tickets cascade'); // as the benchmark does
    expect(await gw.db('ticket_counts').count({ n: '*' })).toEqual([{ n: 0 }]);
  });
});

describe('under concurrent writers', () => {
  beforeAll(() => gw.reset());

  test('creates, edits, state changes, closes, reopens, deletes and folds at the same time stay exact', async () => {
    await Promise.all(Array.from({ length: 60 }, (_, i) => ok(save(i + 1, i))));
    const writers = Array.from({ length: 60 }, async (_, i) => {
      const n = i + 1;
      if (n % 6 === 0) await ok(setStates([n, n - 1], STATES[n % 4]));
      else if (n % 6 === 1) await ok(close(n));
      else if (n % 6 === 2) await ok(remove([n]));
      else await ok(save(n, n * 7));
      await ok(save(100 + n, n)); // a create per writer
      if (n % 6 === 1) await ok(reopen(n));
    });
    // Folds run alongside; every fold tries, most find another one at work and skip.
    let folding = true;
    const folds = (async () => {
      while (folding) await compactTicketCounts(gw.db);
    })();
    await Promise.all(writers);
    folding = false;
    await folds;
    await expectExact();
    // Folded, each group is one row.
    await compactTicketCounts(gw.db);
    const rows = Number((await gw.db.raw('select count(*) as n from ticket_counts')).rows[0].n);
    const groups = (await counted()).tickets.length;
    expect(rows).toBe(groups);
    await expectExact();
  });

  test('a list reading many counter rows folds them', async () => {
    await gw.reset();
    for (let i = 1; i <= 70; i++) await ok(save(i, 0)); // one group, 70 rows
    const res = parseList(
      (await gw.post(request('GetTicketList', 1, '<MaxCount>1</MaxCount>'))).body,
    );
    expect(res.totalCount).toBe(70);
    expect(await gw.db('ticket_counts').select('n')).toEqual([{ n: 70 }]);
  });
});

test('the migration counts the tickets that exist before it', async () => {
  await gw.reset();
  await Promise.all(Array.from({ length: 12 }, (_, i) => ok(save(i + 1, i))));
  await gw.db.migrate.down({ migrationSource, name: '015_ticket_counts' } as Knex.MigratorConfig);
  await gw.db('tickets').where('number', '<', 4).update({ state: 'Closed' }); // while no trigger counts
  await migrate(gw.db);
  await expectExact();
});
