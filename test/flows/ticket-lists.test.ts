// Ticket lists (docs/protocol.md §7: GetTicketList_V1, GetTicketListByQuery_V1/_V2): filters against a model
// computed here, stable paging over ties, text search in comments with LIKE wildcards and
// regular-expression characters taken literally, and the bulk generator's data listed with the
// right counts. No timing assertions: speed is checked with EXPLAIN and the benchmark.
import { TICKET_QUERIES } from '../../src/domain/ticket-queries';
import { generateTickets } from '../../src/tools/generate-tickets';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { listV2Request, type Order, parseList, type State, type V2 } from '../support/ticket-lists';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const ANNA = '{10000000-0000-4000-8000-000000000001}'; // Settings.ApiUserId of the demo seed
const BEN = '{10000000-0000-4000-8000-000000000002}';
const FIRST_LEVEL = '{20000000-0000-4000-8000-000000000001}';
const HARDWARE = '{30000000-0000-4000-8000-000000000001}';
const PRINTER = '{30000000-0000-4000-8000-000000000002}';
const SOFTWARE = '{30000000-0000-4000-8000-000000000003}';
const query = (name: string) => TICKET_QUERIES.find((q) => q.name === name)!.id;

async function listV2(f: V2) {
  const res = parseList((await gw.post(listV2Request(f))).body);
  expect(res.message).toBe('OK');
  return res;
}

// 60 tickets whose attributes vary independently; every three share a CreationDate and many
// share a priority or LastModified, so the tie-break decides much of the order.
const STATES: State[] = ['New', 'Open', 'InProgress', 'Waiting', 'Closed'];
const CATEGORIES = [HARDWARE, PRINTER, SOFTWARE, ''];
const ASSIGNEES = [ANNA, BEN, FIRST_LEVEL, ''];
const guid = (i: number) => `{D1000000-0000-4000-8000-${String(i).padStart(12, '0')}}`;
const at = (hours: number) => new Date(Date.UTC(2025, 0, 1) + hours * 3600000).toISOString();
const MODEL = Array.from({ length: 60 }, (_, i) => ({
  id: guid(i + 1),
  number: i + 1,
  state: STATES[i % 5],
  priority: 1 + ((i * 3) % 5),
  categoryId: CATEGORIES[Math.floor(i / 5) % 4],
  assigneeId: ASSIGNEES[(i * 7 + Math.floor(i / 4)) % 4],
  creationDate: at(Math.floor(i / 3) * 5),
  lastModified: at(200 + (i % 7) * 24),
  overdue: i % 4 === 0, // due 2020 (else 2099 or none)
  dueDate:
    i % 4 === 0 ? '2020-06-01T00:00:00.000Z' : i % 4 === 1 ? '2099-06-01T00:00:00.000Z' : undefined,
}));
const modelSeed = {
  Tickets: MODEL.map((t) => ({
    Id: t.id,
    Title: `Model ticket ${t.number}`,
    State: t.state,
    Priority: t.priority,
    CategoryId: t.categoryId || null,
    AssigneeId: t.assigneeId || null,
    CreationDate: t.creationDate,
    LastModified: t.lastModified,
    ...(t.dueDate ? { DueDate: t.dueDate } : {}),
  })),
};

function expected(f: V2): string[] {
  const conditions: Record<string, (t: (typeof MODEL)[number]) => boolean> = {
    [query('All tickets')]: () => true,
    [query('Open tickets')]: (t) => t.state !== 'Closed',
    [query('My tickets')]: (t) => t.assigneeId === ANNA,
    [query('Unassigned tickets')]: (t) => t.assigneeId === '',
    [query('Closed tickets')]: (t) => t.state === 'Closed',
    [query('Overdue tickets')]: (t) => t.state !== 'Closed' && t.overdue,
  };
  const key: Record<Order, (t: (typeof MODEL)[number]) => number> = {
    TicketNumber: () => 0,
    CreationDate: (t) => Date.parse(t.creationDate),
    LastModified: (t) => Date.parse(t.lastModified),
    Priority: (t) => t.priority,
  };
  const by = key[f.orderBy ?? 'CreationDate'];
  const sign = f.descending === false ? 1 : -1;
  return MODEL.filter((t) => !f.queryId || conditions[f.queryId](t))
    .filter((t) => !f.states || f.states.includes(t.state))
    .filter((t) => !f.categoryId || t.categoryId === f.categoryId)
    .filter((t) => !f.assigneeId || t.assigneeId === f.assigneeId)
    .filter((t) => !f.modifiedSince || Date.parse(t.lastModified) >= Date.parse(f.modifiedSince))
    .sort((a, b) => sign * (by(a) - by(b) || a.number - b.number))
    .map((t) => t.id);
}

describe('over a model of 60 tickets', () => {
  beforeAll(() => gw.reset(modelSeed));

  const FILTERS: V2[] = [
    {},
    { states: ['Open'] },
    { states: ['New', 'Waiting'], categoryId: PRINTER },
    { assigneeId: FIRST_LEVEL },
    { assigneeId: ANNA, states: ['Closed', 'Open'] },
    { modifiedSince: at(200 + 3 * 24) },
    { queryId: query('Open tickets'), categoryId: SOFTWARE },
    { queryId: query('Overdue tickets') },
    { queryId: query('My tickets'), modifiedSince: at(200 + 24) },
    { queryId: query('Unassigned tickets'), states: ['New', 'Open', 'Closed'] },
    { queryId: query('Closed tickets'), states: ['Open'] },
    {
      queryId: query('All tickets'),
      categoryId: HARDWARE,
      assigneeId: BEN,
      states: ['New', 'Open', 'InProgress', 'Waiting', 'Closed'],
    },
  ];
  const ORDERS: V2[] = (
    ['TicketNumber', 'CreationDate', 'LastModified', 'Priority'] as Order[]
  ).flatMap((orderBy) => [{ orderBy }, { orderBy, descending: false }]);

  test.each(FILTERS.map((f) => [JSON.stringify(f), f] as const))(
    'filter %s in every order matches the model',
    async (_name, f) => {
      for (const order of [{}, ...ORDERS]) {
        const want = expected({ ...f, ...order });
        const got = await listV2({ ...f, ...order, limit: 1000 });
        expect({ order, ids: got.items.map((t) => t.id), total: got.totalCount }).toEqual({
          order,
          ids: want,
          total: want.length,
        });
      }
    },
  );

  test.each(ORDERS.map((o) => [JSON.stringify(o), o] as const))(
    'pages of 7 in order %s concatenate to the full list, no duplicates',
    async (_name, order) => {
      const full = await listV2({ ...order, limit: 1000 });
      const pages: string[] = [];
      for (let offset = 0; offset < 70; offset += 7) {
        const page = await listV2({ ...order, offset, limit: 7 });
        expect(page.totalCount).toBe(60);
        pages.push(...page.items.map((t) => t.id));
      }
      expect(pages).toEqual(full.items.map((t) => t.id));
      expect(new Set(pages).size).toBe(60);
    },
  );

  test('GetTicketList_V1 and the V1 queries agree with the model', async () => {
    const list = parseList(
      (await gw.post(request('GetTicketList', 1, '<MaxCount>10</MaxCount>'))).body,
    );
    expect({ ids: list.items.map((t) => t.id), total: list.totalCount }).toEqual({
      ids: expected({}).slice(0, 10),
      total: 60,
    });
    for (const q of TICKET_QUERIES) {
      const res = parseList(
        (await gw.post(request('GetTicketListByQuery', 1, `<QueryId>${q.id}</QueryId>`))).body,
      );
      const want = expected({ queryId: q.id });
      expect({ query: q.name, ids: res.items.map((t) => t.id), total: res.totalCount }).toEqual({
        query: q.name,
        ids: want,
        total: want.length,
      });
    }
  });
});

describe('SearchText', () => {
  const t = (n: number, title: string, description = '', comments: string[] = []) => ({
    Id: guid(n),
    Title: title,
    HtmlDescription: description,
    CreationDate: at(n),
    Comments: comments.map((text, i) => ({
      Id: `{D2000000-0000-4000-8000-${String(n * 10 + i).padStart(12, '0')}}`,
      Text: text,
    })),
  });
  beforeAll(() =>
    gw.reset({
      Tickets: [
        t(1, 'Disk 50% full'),
        t(2, 'Disk 500 GB full'),
        t(3, 'Rename file a_b.txt'),
        t(4, 'Rename file axb.txt'),
        t(5, 'Path', '<p>Saved under D:\\Data\\new</p>'),
        t(6, 'Path too', '<p>Saved under D:Data</p>'),
        t(7, 'Keyboard', '<p>Keys stick</p>', [
          'Nothing found yet',
          'The SPACEBAR was full of crumbs',
        ]),
        t(8, 'Mouse', '', ['spacebar? no, this is a mouse']),
        t(9, 'Monitor flickers'),
        t(10, 'Open file.txt'),
        t(11, 'Open filextxt'),
        t(12, 'Fix (urgent) [x] a+b ^$ *|?{}'),
      ],
    }),
  );
  const numbersFor = async (searchText: string, extra: V2 = {}) =>
    (await listV2({ searchText, orderBy: 'TicketNumber', descending: false, ...extra })).items.map(
      (i) => i.number,
    );

  test('matches comments, titles and descriptions, ignoring case', async () => {
    expect(await numbersFor('SpaceBar')).toEqual([7, 8]);
    expect(await numbersFor('crumbs')).toEqual([7]);
    expect(await numbersFor('keys STICK')).toEqual([7]);
    expect(await numbersFor('flicker')).toEqual([9]);
    expect(await numbersFor('no such words')).toEqual([]);
  });

  test('LIKE wildcards and regular-expression characters are taken literally', async () => {
    expect(await numbersFor('50%')).toEqual([1]);
    expect(await numbersFor('%')).toEqual([1]);
    expect(await numbersFor('a_b')).toEqual([3]);
    expect(await numbersFor('_')).toEqual([3]);
    expect(await numbersFor('D:\\Data')).toEqual([5]);
    expect(await numbersFor('\\')).toEqual([5]);
    expect(await numbersFor('file.txt')).toEqual([10]);
    expect(await numbersFor('.')).toEqual([3, 4, 10]);
    expect(await numbersFor('.*')).toEqual([]);
    expect(await numbersFor('(urgent) [x] a+b')).toEqual([12]);
    expect(await numbersFor('^$ *|?{}')).toEqual([12]);
    expect(await numbersFor("'; drop table tickets; --")).toEqual([]);
  });

  test('combines with the other filters and counts all matches beyond the page', async () => {
    const page = await listV2({
      searchText: 'full',
      limit: 1,
      offset: 1,
      orderBy: 'TicketNumber',
      descending: false,
    });
    expect({ numbers: page.items.map((i) => i.number), total: page.totalCount }).toEqual({
      numbers: [2],
      total: 3,
    });
    const beyond = await listV2({ searchText: 'full', offset: 5 });
    expect({ numbers: beyond.items, total: beyond.totalCount }).toEqual({ numbers: [], total: 3 });
    expect(
      await numbersFor('full', { queryId: query('Open tickets'), modifiedSince: at(2) }),
    ).toEqual([2, 7]);
  });
});

describe('generated tickets', () => {
  beforeAll(async () => {
    await gw.reset();
    const made = await generateTickets(gw.db, 2000);
    expect(made.tickets).toBe(2000);
  });

  const sqlCount = async (where: string, bindings: unknown[] = []) =>
    Number(
      (await gw.db.raw(`select count(*) as n from tickets t where ${where}`, bindings as any))
        .rows[0].n,
    );

  test('GetTicketList_V1 lists the newest 1000 of all 2000', async () => {
    const res = parseList((await gw.post(request('GetTicketList', 1, ''))).body);
    expect({ items: res.items.length, total: res.totalCount }).toEqual({
      items: 1000,
      total: 2000,
    });
    const newest = (
      await gw
        .db('tickets')
        .select('number')
        .orderBy([
          { column: 'creation_date', order: 'desc' },
          { column: 'number', order: 'desc' },
        ])
        .limit(1000)
    ).map((r) => r.number);
    expect(res.items.map((i) => i.number)).toEqual(newest);
  });

  test('every built-in query counts what the database holds', async () => {
    const conditions: Record<string, string> = {
      'All tickets': 'true',
      'Open tickets': `t.state <> 'Closed'`,
      'My tickets': `t.assignee_id = '${ANNA.slice(1, -1)}'`,
      'Unassigned tickets': 't.assignee_id is null',
      'Closed tickets': `t.state = 'Closed'`,
      'Overdue tickets': `t.state <> 'Closed' and t.due_date < now()`,
    };
    for (const q of TICKET_QUERIES) {
      const res = parseList(
        (await gw.post(request('GetTicketListByQuery', 1, `<QueryId>${q.id}</QueryId>`))).body,
      );
      const count = await sqlCount(conditions[q.name]);
      expect({ query: q.name, total: res.totalCount, items: res.items.length }).toEqual({
        query: q.name,
        total: count,
        items: Math.min(count, 1000),
      });
      expect(count).toBeGreaterThan(0);
    }
  });

  test('V2 filters and text search count what the database holds; two pages of 1000 hold every ticket once', async () => {
    const open = await listV2({ states: ['Open', 'Waiting'], categoryId: PRINTER });
    expect(open.totalCount).toBe(
      await sqlCount(`t.state in ('Open', 'Waiting') and t.category_id = ?`, [
        PRINTER.slice(1, -1),
      ]),
    );
    // strpos is an independent way to find the same matches as the gateway's search.
    const word = 'WARRANTY';
    const search = await listV2({ searchText: word });
    expect(search.totalCount).toBe(
      await sqlCount(
        `strpos(lower(t.title), lower(?)) > 0 or strpos(lower(t.html_description), lower(?)) > 0
        or exists (select 1 from ticket_comments c where c.ticket_id = t.id and strpos(lower(c.text), lower(?)) > 0)`,
        [word, word, word],
      ),
    );
    expect(search.totalCount).toBeGreaterThan(0);
    // Among open states the search reads the open tickets' indexes (migration 015); with Closed, all.
    for (const states of [
      ['Open', 'InProgress'],
      ['Open', 'Closed'],
    ] as State[][]) {
      const some = await listV2({ searchText: word, states });
      const want = await sqlCount(
        `t.state = any(?) and (strpos(lower(t.title), lower(?)) > 0 or strpos(lower(t.html_description), lower(?)) > 0
        or exists (select 1 from ticket_comments c where c.ticket_id = t.id and strpos(lower(c.text), lower(?)) > 0))`,
        [states, word, word, word],
      );
      expect({ states, total: some.totalCount }).toEqual({ states, total: want });
      expect(want).toBeGreaterThan(0);
    }
    const ids = [
      ...(await listV2({ orderBy: 'Priority', limit: 1000 })).items,
      ...(await listV2({ orderBy: 'Priority', limit: 1000, offset: 1000 })).items,
    ].map((i) => i.id);
    expect(new Set(ids).size).toBe(2000);
  });
});
