// Links and merges (docs/protocol.md §7: LinkAssetsToTicket_V1, LinkClientsToTicket_V1, LinkTicketsToTicket_V1,
// MergeTickets_V1), checked against the stored rows.
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());

const id = (n: number) => `{C1000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const bare = (guid: string) => guid.slice(1, -1).toLowerCase();
const [T1, T2, T3, T4, T5] = [1, 2, 3, 4, 5].map(id);
const [A1, A2] = [
  '{80000000-0000-4000-8000-000000000001}',
  '{80000000-0000-4000-8000-000000000002}',
];
const [C1, C2] = [
  '{90000000-0000-4000-8000-000000000001}',
  '{90000000-0000-4000-8000-000000000002}',
];
const [ANNA, BEN] = [
  '{10000000-0000-4000-8000-000000000001}',
  '{10000000-0000-4000-8000-000000000002}',
];
const UNKNOWN = '{DEADBEEF-0000-4000-8000-000000000099}';
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

const ids = (list: string[]) => list.map((x) => `<string>${x}</string>`).join('');
const link = (command: string, listName: string, ticket: string, list: string[]) =>
  gw.post(
    request(command, 1, `<TicketId>${ticket}</TicketId><${listName}>${ids(list)}</${listName}>`),
  );
const linkAssets = (ticket: string, list: string[]) =>
  link('LinkAssetsToTicket', 'AssetIds', ticket, list);
const linkClients = (ticket: string, list: string[]) =>
  link('LinkClientsToTicket', 'ClientIds', ticket, list);
const linkTickets = (ticket: string, list: string[]) =>
  link('LinkTicketsToTicket', 'TicketIds', ticket, list);
const merge = (survivor: string, merged: string[]) =>
  link('MergeTickets', 'TicketIds', survivor, merged);
const getTicket = (ticket: string) =>
  gw.post(request('GetTicket', 5, `<TicketId>${ticket}</TicketId>`));

/** Every row of a table, sorted, as comparable strings. */
async function rows(table: string, columns: string[]): Promise<string[]> {
  const all = await gw.db(table).select(columns);
  return all
    .map((r) =>
      columns.map((c) => String(r[c] instanceof Date ? r[c].toISOString() : r[c])).join(' '),
    )
    .sort();
}
const pair = (x: string, y: string) => [bare(x), bare(y)].sort().join(' ');

const seed = {
  Tickets: [
    {
      Id: T1,
      Title: 'Printer on floor 2 does not print',
      State: 'Open',
      Comments: [{ Id: id(101), Text: 'Restarted the printer' }],
      WorkingTimes: [
        { Id: id(201), StartDate: '2026-01-05T08:00:00.000Z', EndDate: '2026-01-05T08:30:00.000Z' },
      ],
      Costs: [{ Id: id(301), UnitPrice: '10.00', Amount: 1 }],
      Reminders: [
        { UserId: ANNA, ReminderDate: '2026-02-01T09:00:00.000Z', Text: 'survivor reminder' },
      ],
    },
    {
      Id: T2,
      Title: 'Printer on floor 2 shows paper jam',
      State: 'InProgress',
      Comments: [
        { Id: id(102), Text: 'Same printer' },
        { Id: id(103), Text: 'Paper tray 2' },
      ],
      WorkingTimes: [
        { Id: id(202), StartDate: '2026-01-05T09:00:00.000Z', EndDate: '2026-01-05T09:45:00.000Z' },
      ],
      Costs: [{ Id: id(302), UnitPrice: '12.50', Amount: 2 }],
      Attachments: [
        {
          Id: id(401),
          DocumentId: id(402),
          Name: 'Photo',
          FileName: 'jam.txt',
          ContentBase64: Buffer.from('paper jam').toString('base64'),
        },
      ],
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
    expect(await rows('ticket_assets', ['ticket_id', 'asset_id'])).toEqual([
      `${bare(T1)} ${bare(A1)}`,
      `${bare(T1)} ${bare(A2)}`,
    ]);

    expect((await linkClients(T1, [C2])).resultCode).toBe(0);
    expect((await linkClients(T1, [C2])).resultCode).toBe(0);
    expect(await rows('ticket_clients', ['ticket_id', 'client_id'])).toEqual([
      `${bare(T1)} ${bare(C2)}`,
    ]);
  });

  test('ticket links are symmetric: stored once, smaller uuid first, whichever side links', async () => {
    expect((await linkTickets(T3, [T1, T2])).resultCode).toBe(0);
    expect((await linkTickets(T1, [T3])).resultCode).toBe(0);
    expect((await linkTickets(T2, [T3, T3])).resultCode).toBe(0);
    const stored = await gw.db('ticket_links').select('ticket_a', 'ticket_b');
    expect(stored.map((r) => `${r.ticket_a} ${r.ticket_b}`).sort()).toEqual(
      [pair(T1, T3), pair(T2, T3)].sort(),
    );
    for (const r of stored) expect(r.ticket_a < r.ticket_b).toBe(true);
  });

  test('one unknown id links nothing at all', async () => {
    const assets = await linkAssets(T1, [A1, UNKNOWN]);
    expect(assets.resultCode).toBe(30);
    expect(assets.body).toContain(`AssetIds/string[2]: no asset with Id ${UNKNOWN}`);
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
    ])
      expect(r.resultCode).toBe(0);
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
    expect(await rows('ticket_assets', ['ticket_id', 'asset_id'])).toEqual([
      `${bare(T1)} ${bare(A1)}`,
      `${bare(T1)} ${bare(A2)}`,
    ]);
    expect(await rows('ticket_clients', ['ticket_id', 'client_id'])).toEqual([
      `${bare(T1)} ${bare(C1)}`,
    ]);
    // T2–T1 would be a self-link and T2–T3 duplicates T1–T3: both dropped; T2–T4 becomes T1–T4.
    expect(await rows('ticket_links', ['ticket_a', 'ticket_b'])).toEqual(
      [pair(T1, T3), pair(T1, T4)].sort(),
    );

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
        {
          Id: id(6),
          Title: 'Another jam',
          Reminders: [
            {
              UserId: BEN,
              ReminderDate: '2026-01-10T09:00:00.000Z',
              Text: 'earlier reminder of Ben',
            },
          ],
        },
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
      tickets: await rows('tickets', [
        'id',
        'state',
        'master_ticket_id',
        'closed_date',
        'last_modified',
      ]),
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
    expect(again.body).toContain(
      `ticket 2 is merged into ticket 3 (Id ${T3}) and is read-only; work on ticket 3 instead`,
    );
    const intoMerged = await merge(T2, [T4]);
    expect(intoMerged.resultCode).toBe(35);
    expect(await snapshot()).toEqual(after);
  });

  test('two opposite merges at the same time: one wins, the other is refused, no deadlock', async () => {
    await linkEverything();
    const results = await Promise.all([merge(T1, [T2]), merge(T2, [T1])]);
    expect(results.map((r) => r.resultCode).sort()).toEqual([0, 35]);
    const merged = await gw
      .db('tickets')
      .select('id', 'master_ticket_id')
      .whereNotNull('master_ticket_id');
    expect(merged).toHaveLength(1);
  });
});

describe('a merged ticket is final and read-only', () => {
  beforeEach(() => gw.reset(seed));

  test('every write to it answers 35 naming the survivor; nothing changes; reading it works', async () => {
    expect((await merge(T1, [T2])).resultCode).toBe(0);
    const snapshot = async () => ({
      tickets: await rows('tickets', [
        'id',
        'title',
        'state',
        'master_ticket_id',
        'closed_date',
        'last_modified',
      ]),
      comments: await rows('ticket_comments', ['id', 'ticket_id', 'text']),
      times: await rows('ticket_working_times', ['id', 'ticket_id']),
      costs: await rows('ticket_costs', ['id', 'ticket_id']),
      attachments: await rows('ticket_attachments', ['id', 'ticket_id']),
      reminders: await rows('ticket_reminders', ['ticket_id', 'user_id', 'text']),
      assets: await rows('ticket_assets', ['ticket_id', 'asset_id']),
      clients: await rows('ticket_clients', ['ticket_id', 'client_id']),
      links: await rows('ticket_links', ['ticket_a', 'ticket_b']),
    });
    const before = await snapshot();
    const assignee = `<Assignee xsi:type="TAssignee_V1"><Id>${BEN}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>`;
    const writes = [
      request(
        'SaveTicket',
        4,
        `<Ticket xsi:type="TTicket_V4"><Id>${T2}</Id><Title>Edited</Title></Ticket>`,
      ),
      request('CloseTicket', 1, `<TicketId>${T2}</TicketId>${assignee}`),
      request(
        'ReopenTicket',
        1,
        `<TicketId>${T2}</TicketId><Comment xsi:type="TTicketComment_V1"><Id>${id(110)}</Id><Text>Reopened</Text></Comment>`,
      ),
      request(
        'SaveTicketComment',
        2,
        `<Comment xsi:type="TTicketComment_V2"><Id>${id(111)}</Id><TicketId>${T2}</TicketId><Text>More</Text></Comment>`,
      ),
      request(
        'SaveTicketWorkingTime',
        1,
        `<WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${id(211)}</Id><TicketId>${T2}</TicketId><Executor>${BEN}</Executor><StartDate>2026-01-06T08:00:00Z</StartDate><EndDate>2026-01-06T09:00:00Z</EndDate></WorkingTime>`,
      ),
      request(
        'SaveTicketCosts',
        1,
        `<Costs><TTicketCost_V1 xsi:type="TTicketCost_V1"><Id>${id(311)}</Id><TicketId>${T2}</TicketId><UnitPrice>1.00</UnitPrice><Amount>1</Amount></TTicketCost_V1></Costs>`,
      ),
      request(
        'SaveTicketAttachments',
        1,
        `<TicketId>${T2}</TicketId><Attachments><TTicketAttachment_V1 xsi:type="TTicketAttachment_V1"><Id>${id(411)}</Id><DocumentId>${id(412)}</DocumentId><Name>n</Name><FileName>n.txt</FileName><Content>aGk=</Content></TTicketAttachment_V1></Attachments>`,
      ),
      request(
        'SaveReminderOfTicket',
        1,
        `<Reminder xsi:type="TTicketReminder_V1"><TicketId>${T2}</TicketId><UserId/><ReminderDate>2026-03-01T08:00:00Z</ReminderDate></Reminder>`,
      ),
      request(
        'MergeTickets',
        1,
        `<TicketId>${T2}</TicketId><TicketIds><string>${T3}</string></TicketIds>`,
      ),
      request(
        'MergeTickets',
        1,
        `<TicketId>${T3}</TicketId><TicketIds><string>${T2}</string></TicketIds>`,
      ),
      request(
        'LinkAssetsToTicket',
        1,
        `<TicketId>${T2}</TicketId><AssetIds><string>${A1}</string></AssetIds>`,
      ),
      request(
        'LinkClientsToTicket',
        1,
        `<TicketId>${T2}</TicketId><ClientIds><string>${C1}</string></ClientIds>`,
      ),
      request(
        'LinkTicketsToTicket',
        1,
        `<TicketId>${T2}</TicketId><TicketIds><string>${T3}</string></TicketIds>`,
      ),
      request(
        'LinkTicketsToTicket',
        1,
        `<TicketId>${T3}</TicketId><TicketIds><string>${T2}</string></TicketIds>`,
      ),
    ];
    for (const xml of writes) {
      const res = await gw.post(xml);
      expect({ command: /<(\w+) ActionType/.exec(xml)![1], code: res.resultCode }).toEqual({
        command: /<(\w+) ActionType/.exec(xml)![1],
        code: 35,
      });
      expect(field(res.body, 'ResultMessage')).toContain(
        `is merged into ticket 1 (Id ${T1}) and is read-only; work on ticket 1 instead`,
      );
    }
    expect(await snapshot()).toEqual(before);

    const read = await getTicket(T2);
    expect(read.resultCode).toBe(0);
    expect(field(read.body, 'MasterTicketId')).toBe(T1);
    expect(field(read.body, 'State')).toBe('Closed');
  });

  test('30 rounds: MergeTickets racing deletes of the entries of both tickets; every answer 0, no deadlock, data consistent', async () => {
    const rounds = 30;
    const n = (round: number, kind: number, side: number) =>
      id(1000 + round * 10 + kind * 2 + side);
    const tickets = [];
    for (let r = 0; r < rounds; r++) {
      for (const side of [0, 1]) {
        tickets.push({
          Id: n(r, 0, side),
          Title: `Race ${r} ${side}`,
          Comments: [{ Id: n(r, 1, side), Text: 'c' }],
          WorkingTimes: [
            {
              Id: n(r, 2, side),
              StartDate: '2026-01-05T08:00:00.000Z',
              EndDate: '2026-01-05T08:30:00.000Z',
            },
          ],
          Costs: [
            { Id: n(r, 3, side), UnitPrice: '1.00', Amount: 1 },
            { Id: id(5000 + r * 2 + side), UnitPrice: '2.00', Amount: 1 },
          ],
          Attachments: [
            {
              Id: n(r, 4, side),
              DocumentId: n(r, 4, side),
              Name: 'a',
              FileName: 'a.txt',
              ContentBase64: 'aGk=',
            },
          ],
        });
      }
    }
    await gw.reset({ Tickets: tickets });
    const del = (command: string, list: string, ids: string[]) =>
      gw.post(
        request(
          command,
          1,
          `<${list}>${ids.map((x) => `<string>${x}</string>`).join('')}</${list}>`,
        ),
      );
    for (let r = 0; r < rounds; r++) {
      const both = (kind: number) => [n(r, kind, 1), n(r, kind, 0)];
      const answers = await Promise.all([
        del('DeleteTicketAttachments', 'AttachmentIds', both(4)),
        del('DeleteTicketCosts', 'CostIds', both(3)),
        merge(n(r, 0, 0), [n(r, 0, 1)]),
        del('DeleteTicketWorkingTimeList', 'WorkingTimeIds', both(2)),
        gw.post(request('DeleteTicketComment', 1, `<CommentId>${n(r, 1, 1)}</CommentId>`)),
      ]);
      expect(
        answers.map((a) => `${a.resultCode} ${a.resultCode ? field(a.body, 'ResultMessage') : ''}`),
      ).toEqual(answers.map(() => '0 '));
    }
    // Read back: every merge happened, every deleted entry is gone, the rest is on the survivor.
    const survivors = Array.from({ length: rounds }, (_, r) => bare(n(r, 0, 0)));
    const merged = await gw
      .db('tickets')
      .select('id', 'master_ticket_id')
      .whereNotNull('master_ticket_id');
    expect(merged.map((t) => `${t.master_ticket_id}`).sort()).toEqual([...survivors].sort());
    expect(await gw.db('ticket_attachments').count('* as n').first()).toEqual({ n: 0 });
    expect(await gw.db('ticket_working_times').count('* as n').first()).toEqual({ n: 0 });
    const costs = await gw.db('ticket_costs').select('ticket_id');
    expect(costs.map((c) => c.ticket_id).sort()).toEqual([...survivors, ...survivors].sort());
    const comments = await gw.db('ticket_comments').select('id', 'ticket_id');
    expect(comments.map((c) => c.ticket_id).sort()).toEqual([...survivors].sort());
  });
});
