// Working times, costs and reminders through the real app (docs/protocol.md §7): totals on GetTicket_V5 stay
// exact, multi-item saves are all or none, reminders are replaced per ticket and user.
import { request, startTestGateway, type TestGateway } from '../support/gateway';

const TICKET = '{C1000000-0000-4000-8000-000000000001}';
const OTHER_TICKET = '{C1000000-0000-4000-8000-000000000002}';
const ANNA = '{10000000-0000-4000-8000-000000000001}'; // Settings.ApiUserId of the demo seed: the caller
const BEN = '{10000000-0000-4000-8000-000000000002}';
const CARLA = '{10000000-0000-4000-8000-000000000003}';
const UNKNOWN = '{DEADBEEF-0000-4000-8000-000000000000}';
const WT = (n: number) => `{C2000000-0000-4000-8000-00000000000${n}}`;
const COST = (n: number) => `{C3000000-0000-4000-8000-00000000000${n}}`;

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});

async function call(command: string, payload: string, version = 1) {
  const res = await gw.post(request(command, version, payload));
  return { code: res.resultCode, body: res.body };
}

/** Text of the first element `name` in an XML body. */
function field(body: string, name: string): string | undefined {
  return new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
}

const workingTime = (id: string, start: string, end: string, extra = '') =>
  `<WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${id}</Id><TicketId>${TICKET}</TicketId><Executor>${CARLA}</Executor>` +
  `<StartDate>${start}</StartDate><EndDate>${end}</EndDate>${extra}</WorkingTime>`;
const cost = (inner: string) =>
  `<TTicketCost_V1 xsi:type="TTicketCost_V1">${inner}</TTicketCost_V1>`;
const newCost = (id: string, price: string, amount: number, extra = '', ticket = TICKET) =>
  cost(
    `<Id>${id}</Id><TicketId>${ticket}</TicketId><UnitPrice>${price}</UnitPrice><Amount>${amount}</Amount>${extra}`,
  );
const costs = (...items: string[]) => `<Costs>${items.join('')}</Costs>`;

async function totals(ticket = TICKET) {
  const { code, body } = await call('GetTicket', `<TicketId>${ticket}</TicketId>`, 5);
  expect(code).toBe(0);
  return { minutes: Number(field(body, 'TotalWorkingTime')), costs: field(body, 'TotalCosts') };
}

async function createTicket(id = TICKET) {
  const { code } = await call(
    'SaveTicket',
    `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>Laptop does not boot</Title></Ticket>`,
    4,
  );
  expect(code).toBe(0);
}

const rowCount = async (table: string, where: Record<string, string>) =>
  Number((await gw.db(table).count('* as n').where(where).first())!.n);
const storedCosts = async () =>
  gw
    .db('ticket_costs')
    .select('id', 'unit_price', 'amount', 'total_price', 'category', 'creator_id')
    .orderBy('position');

describe('working times and costs on one ticket', () => {
  beforeAll(async () => {
    await gw.reset();
    await createTicket();
  });

  test('working times are logged with a computed duration; a sent Duration is ignored', async () => {
    let r = await call(
      'SaveTicketWorkingTime',
      workingTime(WT(1), '2025-06-27T09:00:00Z', '2025-06-27T10:30:00Z', '<Duration>1</Duration>'),
    );
    expect(r).toMatchObject({ code: 0 });
    expect(field(r.body, 'WorkingTimeId')).toBe(WT(1));
    r = await call(
      'SaveTicketWorkingTime',
      workingTime(WT(2), '2025-06-27T11:00:00+02:00', '2025-06-27T09:45:00Z'),
    );
    expect(r.code).toBe(0);
    const list = await call('GetTicketWorkingTimeList', `<TicketId>${TICKET}</TicketId>`);
    expect(
      [...list.body.matchAll(/<Duration>(\d+)<\/Duration>/g)].map((m) => Number(m[1])),
    ).toEqual([90, 45]);
    expect(await totals()).toEqual({ minutes: 135, costs: '0.00' });
  });

  test('editing a working time recomputes its duration and keeps the fields not sent', async () => {
    const r = await call(
      'SaveTicketWorkingTime',
      `<WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${WT(1)}</Id><EndDate>2025-06-27T09:20:00Z</EndDate></WorkingTime>`,
    );
    expect(r.code).toBe(0);
    const row = await gw
      .db('ticket_working_times')
      .first('*')
      .where({ id: WT(1).slice(1, -1) });
    expect(row).toMatchObject({
      duration_minutes: 20,
      executor_id: CARLA.slice(1, -1).toLowerCase(),
    });
    expect((await totals()).minutes).toBe(65);
  });

  test('several costs in one request; totals are exact decimals', async () => {
    // 3 × 0.10 and 0.10 + 0.20 are the classic floating point traps (0.30000000000000004).
    const r = await call(
      'SaveTicketCosts',
      costs(
        newCost(
          COST(1),
          '0.10',
          3,
          `<Category>Material</Category><CreatorId>${CARLA}</CreatorId><TotalPrice>99.99</TotalPrice>`,
        ),
        newCost(COST(2), '0.10', 1),
        newCost(COST(3), '0.20', 1),
      ),
    );
    expect(r.code).toBe(0);
    expect(field(r.body, 'FirstErrorMsg')).toBeUndefined();
    const rows = await storedCosts();
    expect(rows.map((c) => c.total_price)).toEqual(['0.30', '0.10', '0.20']);
    // CreatorId and TotalPrice sent are ignored: the creator is the calling user.
    expect(new Set(rows.map((c) => c.creator_id))).toEqual(
      new Set([ANNA.slice(1, -1).toLowerCase()]),
    );
    expect((await totals()).costs).toBe('0.60');
    const one = await call('GetTicketCost', `<CostId>${COST(1)}</CostId>`);
    expect([
      field(one.body, 'UnitPrice'),
      field(one.body, 'Amount'),
      field(one.body, 'TotalPrice'),
      field(one.body, 'CreatorId'),
    ]).toEqual(['0.10', '3', '0.30', ANNA]);
  });

  test('a change needs only Id and keeps every field not sent', async () => {
    const r = await call('SaveTicketCosts', costs(cost(`<Id>${COST(1)}</Id><Amount>4</Amount>`)));
    expect(r.code).toBe(0);
    const row = (await storedCosts())[0];
    expect(row).toMatchObject({
      unit_price: '0.10',
      amount: 4,
      total_price: '0.40',
      category: 'Material',
    });
    expect((await totals()).costs).toBe('0.70');
  });

  test('all or none: item 3 of 3 fails, items 1 and 2 are not saved', async () => {
    const before = await storedCosts();
    const r = await call(
      'SaveTicketCosts',
      costs(
        cost(`<Id>${COST(1)}</Id><UnitPrice>5.00</UnitPrice>`), // a valid change
        newCost(COST(4), '1.00', 1), // a valid new entry
        newCost(COST(5), '1.00', 1000000),
      ),
    );
    expect(r.code).toBe(35);
    expect(field(r.body, 'FirstErrorMsg')).toBe(
      'Costs/TTicketCost_V1[3]/Amount: must be greater than 0 and at most 999999',
    );
    expect(await storedCosts()).toEqual(before);
    expect((await totals()).costs).toBe('0.70');

    const unknownTicket = await call(
      'SaveTicketCosts',
      costs(newCost(COST(4), '1.00', 1), newCost(COST(5), '1.00', 1, '', UNKNOWN)),
    );
    expect(unknownTicket.code).toBe(30);
    expect(field(unknownTicket.body, 'FirstErrorMsg')).toBe(
      `Costs/TTicketCost_V1[2]/TicketId: no ticket with Id ${UNKNOWN}`,
    );
    expect(await storedCosts()).toEqual(before);
  });

  test('the largest price and amount give an exact total', async () => {
    await createTicket(OTHER_TICKET);
    const r = await call(
      'SaveTicketCosts',
      costs(
        newCost(COST(6), '999999.99', 999999, '', OTHER_TICKET),
        newCost(COST(7), '0.01', 1, '', OTHER_TICKET),
      ),
    );
    expect(r.code).toBe(0);
    expect((await totals(OTHER_TICKET)).costs).toBe('999998990000.02');
  });

  test('deleting updates the totals; an unknown Id deletes nothing', async () => {
    let r = await call(
      'DeleteTicketCosts',
      `<CostIds><string>${COST(2)}</string><string>${UNKNOWN}</string></CostIds>`,
    );
    expect(r.code).toBe(30);
    r = await call(
      'DeleteTicketWorkingTimeList',
      `<WorkingTimeIds><string>${WT(2)}</string><string>${UNKNOWN}</string></WorkingTimeIds>`,
    );
    expect(r.code).toBe(30);
    expect(await totals()).toEqual({ minutes: 65, costs: '0.70' });

    expect(
      (await call('DeleteTicketCosts', `<CostIds><string>${COST(2)}</string></CostIds>`)).code,
    ).toBe(0);
    expect(
      (
        await call(
          'DeleteTicketWorkingTimeList',
          `<WorkingTimeIds><string>${WT(2)}</string></WorkingTimeIds>`,
        )
      ).code,
    ).toBe(0);
    expect(await totals()).toEqual({ minutes: 20, costs: '0.60' });
    expect((await call('GetTicketCost', `<CostId>${COST(2)}</CostId>`)).code).toBe(30);
  });

  test('concurrent creates of the same cost Id both succeed and store one entry', async () => {
    const save = () => call('SaveTicketCosts', costs(newCost(COST(8), '2.50', 2)));
    const results = await Promise.all([save(), save(), save()]);
    expect(results.map((x) => x.code)).toEqual([0, 0, 0]);
    expect(await rowCount('ticket_costs', { id: COST(8).slice(1, -1) })).toBe(1);
  });
});

describe('working times disabled', () => {
  test('SaveTicketWorkingTime is refused with 35 and stores nothing', async () => {
    await gw.reset({ Settings: { WorkingTimesEnabled: false } });
    await createTicket();
    const r = await call(
      'SaveTicketWorkingTime',
      workingTime(WT(1), '2025-06-27T09:00:00Z', '2025-06-27T10:00:00Z'),
    );
    expect(r.code).toBe(35);
    expect(await rowCount('ticket_working_times', {})).toBe(0);
  });
});

describe('reminders', () => {
  const reminder = (date: string, extra = '') =>
    `<Reminder xsi:type="TTicketReminder_V1"><TicketId>${TICKET}</TicketId><ReminderDate>${date}</ReminderDate>${extra}</Reminder>`;
  const stored = () =>
    gw.db('ticket_reminders').select('user_id', 'reminder_date', 'text').orderBy('user_id');

  beforeAll(async () => {
    await gw.reset();
    await createTicket();
  });

  test('saving again replaces the reminder of that user; other users keep theirs', async () => {
    expect(
      (
        await call(
          'SaveReminderOfTicket',
          reminder('2025-07-01T08:00:00Z', '<Text>Call back</Text>'),
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await call(
          'SaveReminderOfTicket',
          reminder('2025-07-01T08:00:00Z', `<UserId>${BEN}</UserId><Text>Order parts</Text>`),
        )
      ).code,
    ).toBe(0);
    expect((await call('SaveReminderOfTicket', reminder('2025-07-05T08:00:00Z'))).code).toBe(0);
    expect(await stored()).toEqual([
      {
        user_id: ANNA.slice(1, -1).toLowerCase(),
        reminder_date: new Date('2025-07-05T08:00:00Z'),
        text: '',
      },
      {
        user_id: BEN.slice(1, -1).toLowerCase(),
        reminder_date: new Date('2025-07-01T08:00:00Z'),
        text: 'Order parts',
      },
    ]);
  });

  test('delete defaults to the caller; deleting a missing reminder is 30', async () => {
    expect((await call('DeleteReminderOfTicket', `<TicketId>${TICKET}</TicketId>`)).code).toBe(0);
    expect((await stored()).map((r) => r.user_id)).toEqual([BEN.slice(1, -1).toLowerCase()]);
    expect((await call('DeleteReminderOfTicket', `<TicketId>${TICKET}</TicketId>`)).code).toBe(30);
    expect(
      (
        await call(
          'DeleteReminderOfTicket',
          `<TicketId>${TICKET}</TicketId><UserId>${BEN}</UserId>`,
        )
      ).code,
    ).toBe(0);
    expect(await stored()).toEqual([]);
  });

  test('concurrent saves for one ticket and user leave one reminder', async () => {
    const dates = ['2025-08-01T08:00:00Z', '2025-08-02T08:00:00Z', '2025-08-03T08:00:00Z'];
    const results = await Promise.all(dates.map((d) => call('SaveReminderOfTicket', reminder(d))));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const rows = await stored();
    expect(rows).toHaveLength(1);
    expect(dates.map((d) => new Date(d).getTime())).toContain(rows[0].reminder_date.getTime());
  });
});
