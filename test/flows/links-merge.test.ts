// Links and merges (spec §7: LinkAssetsToTicket_V1, LinkClientsToTicket_V1, LinkTicketsToTicket_V1,
// MergeTickets_V1), checked against the stored rows.
import { request, startTestGateway, TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const id = (n: number) => `{C1000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const bare = (guid: string) => guid.slice(1, -1).toLowerCase();
const [T1, T2, T3, T4, T5] = [1, 2, 3, 4, 5].map(id);
const [A1, A2] = ['{80000000-0000-4000-8000-000000000001}', '{80000000-0000-4000-8000-000000000002}'];
const [C1, C2] = ['{90000000-0000-4000-8000-000000000001}', '{90000000-0000-4000-8000-000000000002}'];
const [ANNA, BEN] = ['{10000000-0000-4000-8000-000000000001}', '{10000000-0000-4000-8000-000000000002}'];
const UNKNOWN = '{DEADBEEF-0000-4000-8000-000000000099}';
const field = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

const ids = (list: string[]) => list.map((x) => `<string>${x}</string>`).join('');
const link = (command: string, listName: string, ticket: string, list: string[]) =>
  gw.post(request(command, 1, `<TicketId>${ticket}</TicketId><${listName}>${ids(list)}</${listName}>`));
const linkAssets = (ticket: string, list: string[]) => link('LinkAssetsToTicket', 'AssetIds', ticket, list);
const linkClients = (ticket: string, list: string[]) => link('LinkClientsToTicket', 'ClientIds', ticket, list);
const linkTickets = (ticket: string, list: string[]) => link('LinkTicketsToTicket', 'TicketIds', ticket, list);
const merge = (survivor: string, merged: string[]) => link('MergeTickets', 'TicketIds', survivor, merged);
const getTicket = (ticket: string) => gw.post(request('GetTicket', 5, `<TicketId>${ticket}</TicketId>`));

/** Every row of a table, sorted, as comparable strings. */
async function rows(table: string, columns: string[]): Promise<string[]> {
  const all = await gw.db(table).select(columns);
  return all.map((r) => columns.map((c) => String(r[c] instanceof Date ? r[c].toISOString() : r[c])).join(' ')).sort();
}
const pair = (x: string, y: string) => [bare(x), bare(y)].sort().join(' ');

const seed = {
  Tickets: [
    {
      Id: T1, Title: 'Printer on floor 2 does not print', State: 'Open',
      Comments: [{ Id: id(101), Text: 'Restarted the printer' }],
      WorkingTimes: [{ Id: id(201), StartDate: '2026-01-05T08:00:00.000Z', EndDate: '2026-01-05T08:30:00.000Z' }],
      Costs: [{ Id: id(301), UnitPrice: '10.00', Amount: 1 }],
      Reminders: [{ UserId: ANNA, ReminderDate: '2026-02-01T09:00:00.000Z', Text: 'survivor reminder' }],
    },
    {
      Id: T2, Title: 'Printer on floor 2 shows paper jam', State: 'InProgress',
      Comments: [{ Id: id(102), Text: 'Same printer' }, { Id: id(103), Text: 'Paper tray 2' }],
      WorkingTimes: [{ Id: id(202), StartDate: '2026-01-05T09:00:00.000Z', EndDate: '2026-01-05T09:45:00.000Z' }],
      Costs: [{ Id: id(302), UnitPrice: '12.50', Amount: 2 }],
      Attachments: [{ Id: id(401), DocumentId: id(402), Name: 'Photo', FileName: 'jam.txt', ContentBase64: Buffer.from('paper jam').toString('base64') }],
      Reminders: [
        { UserId: ANNA, ReminderDate: '2026-01-20T09:00:00.000Z', Text: 'merged reminder of Anna' },
        { UserId: BEN, ReminderDate: '2026-01-21T09:00:00.000Z', Text: 'merged reminder of Ben' },
      ],
    },
    { Id: T3, Title: 'Network drive slow' },
    { Id: T4, Title: 'Toner low' },
    { Id: T5, Title: 'Unrelated' },
  ],
};

describe('links', () => {
  beforeEach(() => gw.reset(seed));

  test('linking twice stores one row; ids in any GUID form count as the same', async () => {
    expect((await linkAssets(T1, [A1, A2])).resultCode).toBe(0);
    expect((await linkAssets(T1, [bare(A1), A1])).resultCode).toBe(0);
    expect(await rows('ticket_assets', ['ticket_id', 'asset_id'])).toEqual([`${bare(T1)} ${bare(A1)}`, `${bare(T1)} ${bare(A2)}`]);

    expect((await linkClients(T1, [C2])).resultCode).toBe(0);
    expect((await linkClients(T1, [C2])).resultCode).toBe(0);
    expect(await rows('ticket_clients', ['ticket_id', 'client_id'])).toEqual([`${bare(T1)} ${bare(C2)}`]);
  });

  test('ticket links are symmetric: stored once, smaller uuid first, whichever side links', async () => {
    expect((await linkTickets(T3, [T1, T2])).resultCode).toBe(0);
    expect((await linkTickets(T1, [T3])).resultCode).toBe(0);
    expect((await linkTickets(T2, [T3, T3])).resultCode).toBe(0);
    const stored = await gw.db('ticket_links').select('ticket_a', 'ticket_b');
    expect(stored.map((r) => `${r.ticket_a} ${r.ticket_b}`).sort()).toEqual([pair(T1, T3), pair(T2, T3)].sort());
    for (const r of stored) expect(r.ticket_a < r.ticket_b).toBe(true);
  });

  test('one unknown id links nothing at all', async () => {
    const assets = await linkAssets(T1, [A1, UNKNOWN]);
    expect(assets.resultCode).toBe(30);
    expect(assets.body).toContain('AssetIds/string[2]: no asset with Id ' + UNKNOWN);
    const clients = await linkClients(T1, [C1, UNKNOWN]);
    expect(clients.resultCode).toBe(26);
    const tickets = await linkTickets(T1, [T2, UNKNOWN]);
    expect(tickets.resultCode).toBe(30);
    expect((await linkTickets(T1, [T2, T1])).resultCode).toBe(35);
    expect((await linkAssets(UNKNOWN, [A1])).resultCode).toBe(30);
    expect(await rows('ticket_assets', ['ticket_id'])).toEqual([]);
    expect(await rows('ticket_clients', ['ticket_id'])).toEqual([]);
    expect(await rows('ticket_links', ['ticket_a'])).toEqual([]);
  });
});

describe('merge', () => {
  beforeEach(() => gw.reset(seed));

  async function linkEverything() {
    for (const r of [
      await linkAssets(T1, [A1]),
      await linkAssets(T2, [A1, A2]),
      await linkClients(T2, [C1]),
      await linkTickets(T2, [T1, T3, T4]),
      await linkTickets(T1, [T3]),
    ]) expect(r.resultCode).toBe(0);
  }

  test('everything of the merged ticket moves to the survivor; the merged ticket is closed with MasterTicketId', async () => {
    await linkEverything();
    expect((await merge(T1, [T2])).resultCode).toBe(0);

    const owner = async (table: string) => rows(table, ['ticket_id']);
    expect(await owner('ticket_comments')).toEqual(Array(3).fill(bare(T1)));
    expect(await owner('ticket_working_times')).toEqual(Array(2).fill(bare(T1)));
    expect(await owner('ticket_costs')).toEqual(Array(2).fill(bare(T1)));
    expect(await owner('ticket_attachments')).toEqual([bare(T1)]);
    // The survivor keeps its own reminder for Anna; Ben's moves over.
    expect(await rows('ticket_reminders', ['ticket_id', 'user_id', 'text'])).toEqual([
      `${bare(T1)} ${bare(ANNA)} survivor reminder`,
      `${bare(T1)} ${bare(BEN)} merged reminder of Ben`,
    ]);
    expect(await rows('ticket_assets', ['ticket_id', 'asset_id'])).toEqual([`${bare(T1)} ${bare(A1)}`, `${bare(T1)} ${bare(A2)}`]);
    expect(await rows('ticket_clients', ['ticket_id', 'client_id'])).toEqual([`${bare(T1)} ${bare(C1)}`]);
    // T2–T1 would be a self-link and T2–T3 duplicates T1–T3: both dropped; T2–T4 becomes T1–T4.
    expect(await rows('ticket_links', ['ticket_a', 'ticket_b'])).toEqual([pair(T1, T3), pair(T1, T4)].sort());

    const merged = await getTicket(T2);
    expect(field(merged.body, 'State')).toBe('Closed');
    expect(field(merged.body, 'MasterTicketId')).toBe(T1);
    expect(field(merged.body, 'ClosedDate')).not.toBe('1899-12-30T00:00:00.000Z');
    expect(field(merged.body, 'TotalWorkingTime')).toBe('0');
    const survivor = await getTicket(T1);
    expect(field(survivor.body, 'State')).toBe('Open');
    expect(survivor.body).toContain('<MasterTicketId/>');
    expect(field(survivor.body, 'TotalWorkingTime')).toBe('75');
    expect(field(survivor.body, 'TotalCosts')).toBe('35.00');
  });

  test('several tickets at once; earlier merges follow to the survivor; a repeated merge changes nothing', async () => {
    expect((await merge(T3, [T4])).resultCode).toBe(0);
    expect((await merge(T1, [T2, T3, T2])).resultCode).toBe(0);
    const masters = await gw.db('tickets').select('id', 'master_ticket_id', 'state').orderBy('id');
    expect(masters.map((t) => [t.id, t.master_ticket_id, t.state])).toEqual([
      [bare(T1), null, 'Open'],
      [bare(T2), bare(T1), 'Closed'],
      [bare(T3), bare(T1), 'Closed'],
      [bare(T4), bare(T1), 'Closed'],
      [bare(T5), null, 'New'],
    ]);
    const closedBefore = await rows('tickets', ['id', 'closed_date']);
    expect((await merge(T1, [T2])).resultCode).toBe(0);
    expect(await rows('tickets', ['id', 'closed_date'])).toEqual(closedBefore);
  });

  test('reminders of two merged tickets for the same user: the earliest is kept', async () => {
    await gw.reset({
      ...seed,
      Tickets: [
        ...seed.Tickets,
        { Id: id(6), Title: 'Another jam', Reminders: [{ UserId: BEN, ReminderDate: '2026-01-10T09:00:00.000Z', Text: 'earlier reminder of Ben' }] },
      ],
    });
    expect((await merge(T5, [T2, id(6)])).resultCode).toBe(0);
    expect(await rows('ticket_reminders', ['ticket_id', 'user_id', 'text'])).toEqual([
      `${bare(T1)} ${bare(ANNA)} survivor reminder`,
      `${bare(T5)} ${bare(ANNA)} merged reminder of Anna`,
      `${bare(T5)} ${bare(BEN)} earlier reminder of Ben`,
    ]);
  });

  test('a refused merge changes nothing', async () => {
    await linkEverything();
    const snapshot = async () => ({
      tickets: await rows('tickets', ['id', 'state', 'master_ticket_id', 'closed_date', 'last_modified']),
      comments: await rows('ticket_comments', ['id', 'ticket_id']),
      reminders: await rows('ticket_reminders', ['ticket_id', 'user_id']),
      assets: await rows('ticket_assets', ['ticket_id', 'asset_id']),
      links: await rows('ticket_links', ['ticket_a', 'ticket_b']),
    });
    const before = await snapshot();
    expect((await merge(T1, [T2, UNKNOWN])).resultCode).toBe(30);
    expect((await merge(T1, [T2, T1])).resultCode).toBe(35);
    expect((await merge(T1, [])).resultCode).toBe(35);
    expect(await snapshot()).toEqual(before);

    expect((await merge(T3, [T2])).resultCode).toBe(0);
    const after = await snapshot();
    const again = await merge(T1, [T2]);
    expect(again.resultCode).toBe(35);
    expect(again.body).toContain(`is already merged into the ticket with Id ${T3}`);
    const intoMerged = await merge(T2, [T4]);
    expect(intoMerged.resultCode).toBe(35);
    expect(await snapshot()).toEqual(after);
  });

  test('two opposite merges at the same time: one wins, the other is refused, no deadlock', async () => {
    await linkEverything();
    const results = await Promise.all([merge(T1, [T2]), merge(T2, [T1])]);
    expect(results.map((r) => r.resultCode).sort()).toEqual([0, 35]);
    const merged = await gw.db('tickets').select('id', 'master_ticket_id').whereNotNull('master_ticket_id');
    expect(merged).toHaveLength(1);
  });
});
