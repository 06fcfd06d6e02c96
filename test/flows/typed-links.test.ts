// Typed links and unlinking (docs/protocol.md §9: LinkTicketsToTicket_V2, GetLinkedTicketsOfTicket_V2,
// UnlinkTicketsFromTicket_V1, UnlinkAssetsFromTicket_V1, UnlinkClientsFromTicket_V1), checked
// against the stored rows: a link is stored once, smaller id first, typed from ticket_a's side
// (migration 013).
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const id = (n: number) => `{C1000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const bare = (guid: string) => guid.slice(1, -1).toLowerCase();
const [T1, T2, T3, T4, T5, T6] = [1, 2, 3, 4, 5, 6].map(id);
const [A1, A2] = [
  '{80000000-0000-4000-8000-000000000001}',
  '{80000000-0000-4000-8000-000000000002}',
];
const [C1, C2] = [
  '{90000000-0000-4000-8000-000000000001}',
  '{90000000-0000-4000-8000-000000000002}',
];
const UNKNOWN = '{DEADBEEF-0000-4000-8000-000000000099}';

type Type = 'Normal' | 'Parent' | 'Child';
const ids = (list: string[]) => list.map((x) => `<string>${x}</string>`).join('');
const withList = (
  command: string,
  version: number,
  listName: string,
  ticket: string,
  list: string[],
) =>
  gw.post(
    request(
      command,
      version,
      `<TicketId>${ticket}</TicketId><${listName}>${ids(list)}</${listName}>`,
    ),
  );
const linkTyped = (ticket: string, links: [string, Type][]) =>
  gw.post(
    request(
      'LinkTicketsToTicket',
      2,
      `<TicketId>${ticket}</TicketId><Links>${links.map(([t, k]) => `<TTicketLink_V1><TicketId>${t}</TicketId><LinkType>${k}</LinkType></TTicketLink_V1>`).join('')}</Links>`,
    ),
  );
const linkPlain = (ticket: string, list: string[]) =>
  withList('LinkTicketsToTicket', 1, 'TicketIds', ticket, list);
const unlinkTickets = (ticket: string, list: string[]) =>
  withList('UnlinkTicketsFromTicket', 1, 'TicketIds', ticket, list);
const unlinkAssets = (ticket: string, list: string[]) =>
  withList('UnlinkAssetsFromTicket', 1, 'AssetIds', ticket, list);
const unlinkClients = (ticket: string, list: string[]) =>
  withList('UnlinkClientsFromTicket', 1, 'ClientIds', ticket, list);
const merge = (survivor: string, merged: string[]) =>
  withList('MergeTickets', 1, 'TicketIds', survivor, merged);

/** The stored links as "a b type", sorted. */
async function links(): Promise<string[]> {
  const all = await gw.db('ticket_links').select('ticket_a', 'ticket_b', 'link_type');
  return all.map((r) => `${r.ticket_a} ${r.ticket_b} ${r.link_type}`).sort();
}
/** A stored link row: the type is the role of the larger id as seen from the smaller one. */
const row = (x: string, y: string, typeOfYSeenFromX: Type) => {
  const flip = { Normal: 'Normal', Parent: 'Child', Child: 'Parent' }[typeOfYSeenFromX];
  return bare(x) < bare(y)
    ? `${bare(x)} ${bare(y)} ${typeOfYSeenFromX}`
    : `${bare(y)} ${bare(x)} ${flip}`;
};
/** GetLinkedTicketsOfTicket_V2 of a ticket as "Id LinkType" pairs, in the answer's order. */
async function seenFrom(ticket: string): Promise<string[]> {
  const r = await gw.post(request('GetLinkedTicketsOfTicket', 2, `<TicketId>${ticket}</TicketId>`));
  expect(r.resultCode).toBe(0);
  return [...r.body.matchAll(/<Id>([^<]*)<\/Id>[\s\S]*?<LinkType>([^<]*)<\/LinkType>/g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
}

const seed = {
  Tickets: [
    { Id: T1, Title: 'Printer on floor 2 does not print', AssetIds: [A1, A2], ClientIds: [C1, C2] },
    { Id: T2, Title: 'Printer on floor 2 shows paper jam', AssetIds: [A1], ClientIds: [C1] },
    { Id: T3, Title: 'Network drive slow' },
    { Id: T4, Title: 'Toner low' },
    { Id: T5, Title: 'Projector flickers' },
    { Id: T6, Title: 'Mouse broken' },
  ],
};

describe('typed links', () => {
  beforeEach(() => gw.reset(seed));

  test('stored once, smaller id first, typed from ticket_a; read flipped from ticket_b', async () => {
    // From the larger id: the stored type is flipped; from the smaller id it is stored as sent.
    expect(
      (
        await linkTyped(T3, [
          [T1, 'Parent'],
          [T4, 'Parent'],
          [T2, 'Normal'],
        ])
      ).resultCode,
    ).toBe(0);
    expect(await links()).toEqual(
      [row(T1, T3, 'Child'), row(T2, T3, 'Normal'), row(T3, T4, 'Parent')].sort(),
    );
    expect(await links()).toContain(`${bare(T1)} ${bare(T3)} Child`);
    expect(await links()).toContain(`${bare(T3)} ${bare(T4)} Parent`);
    expect(await seenFrom(T3)).toEqual([`${T4} Parent`, `${T2} Normal`, `${T1} Parent`]);
    expect(await seenFrom(T1)).toEqual([`${T3} Child`]);
    expect(await seenFrom(T4)).toEqual([`${T3} Child`]);
    expect(await seenFrom(T2)).toEqual([`${T3} Normal`]);
  });

  test('linking again with another type changes it, from either side; version 1 keeps it and adds Normal links', async () => {
    expect((await linkTyped(T1, [[T2, 'Parent']])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T1, T2, 'Parent')]);
    expect((await linkTyped(T2, [[T1, 'Parent']])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T1, T2, 'Child')]);
    expect((await linkPlain(T2, [T1, T3])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T1, T2, 'Child'), row(T2, T3, 'Normal')].sort());
    expect((await linkTyped(T1, [[T2, 'Normal']])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T1, T2, 'Normal'), row(T2, T3, 'Normal')].sort());
  });

  test('a refused typed link changes nothing', async () => {
    expect((await linkTyped(T1, [[T2, 'Parent']])).resultCode).toBe(0);
    const before = await links();
    expect(
      (
        await linkTyped(T1, [
          [T2, 'Child'],
          [UNKNOWN, 'Normal'],
        ])
      ).resultCode,
    ).toBe(30);
    expect(
      (
        await linkTyped(T1, [
          [T2, 'Child'],
          [T1, 'Normal'],
        ])
      ).resultCode,
    ).toBe(35);
    expect(
      (
        await linkTyped(T1, [
          [T2, 'Child'],
          [T2, 'Normal'],
        ])
      ).resultCode,
    ).toBe(35);
    expect((await linkTyped(UNKNOWN, [[T2, 'Child']])).resultCode).toBe(30);
    expect(await links()).toEqual(before);
  });

  test('links do not change LastModified (as for the version-1 link commands)', async () => {
    const stamps = async () =>
      (await gw.db('tickets').select('id', 'last_modified').orderBy('id')).map(
        (t) => `${t.id} ${t.last_modified.toISOString()}`,
      );
    const before = await stamps();
    expect((await linkTyped(T1, [[T2, 'Parent']])).resultCode).toBe(0);
    expect((await unlinkTickets(T2, [T1])).resultCode).toBe(0);
    expect((await unlinkAssets(T1, [A1])).resultCode).toBe(0);
    expect(await stamps()).toEqual(before);
  });

  test('concurrent typed links over overlapping tickets, from both sides, all succeed without deadlock', async () => {
    const all = [T1, T2, T3, T4, T5, T6];
    const types: Type[] = ['Normal', 'Parent', 'Child'];
    const calls = all.flatMap((t, i) =>
      [0, 1].map((round) =>
        linkTyped(
          t,
          all
            .filter((o) => o !== t)
            .map((o, j): [string, Type] => [o, types[(i + j + round) % 3]])
            .reverse(),
        ),
      ),
    );
    const results = await Promise.all(calls);
    expect(results.map((r) => r.resultCode)).toEqual(calls.map(() => 0));
    expect(await links()).toHaveLength(15);
  });
});

describe('unlinking', () => {
  beforeEach(() => gw.reset(seed));

  test('removes ticket links of any type from either side; a missing link is no error', async () => {
    expect(
      (
        await linkTyped(T2, [
          [T1, 'Parent'],
          [T3, 'Child'],
          [T4, 'Normal'],
        ])
      ).resultCode,
    ).toBe(0);
    expect((await unlinkTickets(T1, [T2, T5])).resultCode).toBe(0);
    expect((await unlinkTickets(T3, [T2, T2])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T2, T4, 'Normal')]);
    expect((await unlinkTickets(T1, [T2])).resultCode).toBe(0);
    expect(await links()).toEqual([row(T2, T4, 'Normal')]);
  });

  test('assets and clients: only the named links of that ticket go', async () => {
    expect((await unlinkAssets(T1, [A1])).resultCode).toBe(0);
    expect((await unlinkClients(T1, [C2, C2])).resultCode).toBe(0);
    expect((await unlinkClients(T2, [C2])).resultCode).toBe(0);
    const pairs = async (table: string, column: string) =>
      (await gw.db(table).select('ticket_id', column))
        .map((r) => `${r.ticket_id} ${r[column]}`)
        .sort();
    expect(await pairs('ticket_assets', 'asset_id')).toEqual(
      [`${bare(T1)} ${bare(A2)}`, `${bare(T2)} ${bare(A1)}`].sort(),
    );
    expect(await pairs('ticket_clients', 'client_id')).toEqual(
      [`${bare(T1)} ${bare(C1)}`, `${bare(T2)} ${bare(C1)}`].sort(),
    );
  });

  test('one unknown id unlinks nothing at all', async () => {
    expect((await linkPlain(T1, [T2, T3])).resultCode).toBe(0);
    const snapshot = async () => ({
      links: await links(),
      assets: (await gw.db('ticket_assets').select('ticket_id', 'asset_id')).length,
      clients: (await gw.db('ticket_clients').select('ticket_id', 'client_id')).length,
    });
    const before = await snapshot();
    expect((await unlinkTickets(T1, [T2, UNKNOWN])).resultCode).toBe(30);
    expect((await unlinkTickets(T1, [T2, T1])).resultCode).toBe(35);
    expect((await unlinkAssets(T1, [A1, UNKNOWN])).resultCode).toBe(30);
    const client = await unlinkClients(T1, [C1, UNKNOWN]);
    expect(client.resultCode).toBe(26);
    expect(client.body).toContain(`ClientIds/string[2]: no client with Id ${UNKNOWN}`);
    expect((await unlinkClients(UNKNOWN, [C1])).resultCode).toBe(30);
    expect(await snapshot()).toEqual(before);
  });
});

describe('merge moves typed links', () => {
  beforeEach(() => gw.reset(seed));

  test('roles carry over to the survivor, stored from the new ticket_a side', async () => {
    // T5 is a parent of T3, T2 a child of T3, T6 normal: merging T3 into T4 (T2 < T4 < T5 < T6).
    expect(
      (
        await linkTyped(T3, [
          [T5, 'Parent'],
          [T2, 'Child'],
          [T6, 'Normal'],
        ])
      ).resultCode,
    ).toBe(0);
    expect((await merge(T4, [T3])).resultCode).toBe(0);
    expect(await links()).toEqual(
      [row(T4, T5, 'Parent'), row(T4, T2, 'Child'), row(T4, T6, 'Normal')].sort(),
    );
    expect(await seenFrom(T4)).toEqual([`${T6} Normal`, `${T5} Parent`, `${T2} Child`]);
    expect(await seenFrom(T5)).toEqual([`${T4} Child`]);
    expect(await seenFrom(T2)).toEqual([`${T4} Parent`]);
  });

  test("the survivor's own link keeps its type; among merged tickets the smallest id decides", async () => {
    expect((await linkTyped(T1, [[T5, 'Normal']])).resultCode).toBe(0);
    expect(
      (
        await linkTyped(T2, [
          [T5, 'Parent'],
          [T6, 'Child'],
        ])
      ).resultCode,
    ).toBe(0);
    expect(
      (
        await linkTyped(T3, [
          [T6, 'Parent'],
          [T1, 'Parent'],
        ])
      ).resultCode,
    ).toBe(0);
    expect((await merge(T1, [T3, T2])).resultCode).toBe(0);
    // T1–T5 was the survivor's own (Normal); T6 was Child of T2 and Parent of T3: T2 decides.
    // T3–T1 would become a self-link and is dropped.
    expect(await links()).toEqual([row(T1, T5, 'Normal'), row(T1, T6, 'Child')].sort());
  });
});
