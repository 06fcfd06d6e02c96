// The automation flow: SaveTicket_V4 then CloseTicket_V1, in parallel, safe to retry.
import { randomUUID } from 'node:crypto';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());
beforeEach(() => gw.reset());

const guid = () => `{${randomUUID().toUpperCase()}}`;
const ANNA = '{10000000-0000-4000-8000-000000000001}';
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];

const save = (id: string, title: string) =>
  request(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>${title}</Title><Priority>4</Priority></Ticket>`,
  );
const close = (id: string, commentId: string, workingTimeId: string) =>
  request(
    'CloseTicket',
    1,
    `<TicketId>${id}</TicketId>
  <Assignee xsi:type="TAssignee_V1"><Id>${ANNA}</Id><AssigneeIsGroup>false</AssigneeIsGroup></Assignee>
  <Comment xsi:type="TTicketComment_V1"><Id>${commentId}</Id><Text>Done</Text></Comment>
  <WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${workingTimeId}</Id><TicketId>${id}</TicketId><Executor>${ANNA}</Executor>
    <StartDate>2026-01-05T08:00:00Z</StartDate><EndDate>2026-01-05T08:45:00Z</EndDate></WorkingTime>`,
  );

test('50 saves in parallel, then 50 closes in parallel: all closed, distinct numbers, nothing lost', async () => {
  const tickets = Array.from({ length: 50 }, (_, i) => ({
    id: guid(),
    title: `Automated ticket ${i}`,
    comment: guid(),
    time: guid(),
  }));
  const saved = await Promise.all(tickets.map((t) => gw.post(save(t.id, t.title))));
  expect(saved.map((r) => r.resultCode)).toEqual(tickets.map(() => 0));
  const numbers = saved.map((r) => Number(field(r.body, 'TicketNumber')));
  expect(new Set(numbers).size).toBe(50);
  expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));

  const closed = await Promise.all(tickets.map((t) => gw.post(close(t.id, t.comment, t.time))));
  expect(closed.map((r) => r.resultCode)).toEqual(tickets.map(() => 0));

  const read = await Promise.all(
    tickets.map((t) => gw.post(request('GetTicket', 5, `<TicketId>${t.id}</TicketId>`))),
  );
  for (const [i, r] of read.entries()) {
    expect({
      state: field(r.body, 'State'),
      title: field(r.body, 'Title'),
      number: Number(field(r.body, 'TicketNumber')),
      minutes: field(r.body, 'TotalWorkingTime'),
    }).toEqual({ state: 'Closed', title: tickets[i].title, number: numbers[i], minutes: '45' });
    expect(field(r.body, 'ClosedDate')).not.toBe('1899-12-30T00:00:00.000Z');
  }
  expect(await gw.db('ticket_comments').count('* as n').first()).toEqual({ n: 50 });
  expect(await gw.db('ticket_working_times').count('* as n').first()).toEqual({ n: 50 });
});

test('concurrent saves of the same Id create one ticket; the rest are edits', async () => {
  const id = guid();
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) => gw.post(save(id, `Same ticket ${i}`))),
  );
  expect(results.map((r) => r.resultCode)).toEqual(results.map(() => 0));
  // Every answer names the one stored ticket. (A create that lost the race may have drawn a number
  // from the sequence first, so the stored number need not be 1: sequences leave gaps.)
  const stored = await gw.db('tickets').first('number');
  expect(new Set(results.map((r) => field(r.body, 'TicketNumber')))).toEqual(
    new Set([String(stored.number)]),
  );
  expect(await gw.db('tickets').count('* as n').first()).toEqual({ n: 1 });
});

test('a retried close changes nothing; a retried save changes nothing, not even LastModified', async () => {
  const t = { id: guid(), comment: guid(), time: guid() };
  expect((await gw.post(save(t.id, 'Retry me'))).resultCode).toBe(0);
  const before = await gw
    .db('tickets')
    .first('last_modified')
    .where({ id: t.id.slice(1, -1) });
  expect((await gw.post(save(t.id, 'Retry me'))).resultCode).toBe(0);
  expect(
    await gw
      .db('tickets')
      .first('last_modified')
      .where({ id: t.id.slice(1, -1) }),
  ).toEqual(before);

  const first = await gw.post(close(t.id, t.comment, t.time));
  const closedRow = await gw
    .db('tickets')
    .first('closed_date', 'last_modified')
    .where({ id: t.id.slice(1, -1) });
  const again = await Promise.all([1, 2, 3].map(() => gw.post(close(t.id, t.comment, t.time))));
  expect([first, ...again].map((r) => r.resultCode)).toEqual([0, 0, 0, 0]);
  expect(
    await gw
      .db('tickets')
      .first('closed_date', 'last_modified')
      .where({ id: t.id.slice(1, -1) }),
  ).toEqual(closedRow);
  expect(await gw.db('ticket_comments').count('* as n').first()).toEqual({ n: 1 });
  expect(await gw.db('ticket_working_times').count('* as n').first()).toEqual({ n: 1 });
});

test('a close that breaks a rule writes nothing', async () => {
  const t = { id: guid(), comment: guid(), time: guid() };
  await gw.post(save(t.id, 'Half-written?'));
  const bad = close(t.id, t.comment, t.time).replace(
    '2026-01-05T08:45:00Z',
    '2026-01-05T07:00:00Z',
  );
  const res = await gw.post(bad);
  expect(res.resultCode).toBe(35);
  expect(res.body).toContain('WorkingTime/StartDate: must be before EndDate');
  expect(
    await gw
      .db('tickets')
      .first('state')
      .where({ id: t.id.slice(1, -1) }),
  ).toEqual({ state: 'New' });
  expect(await gw.db('ticket_comments').count('* as n').first()).toEqual({ n: 0 });
});

test('a new comment moves its ticket into ModifiedSince (LastModified follows comments, attachments, working times, costs)', async () => {
  const t = { id: guid(), comment: guid() };
  await gw.post(save(t.id, 'Quiet ticket'));
  await gw
    .db('tickets')
    .update({ last_modified: new Date('2020-01-01T00:00:00Z') })
    .where({ id: t.id.slice(1, -1) });
  const since = (when: string) =>
    gw
      .post(request('GetTicketListByQuery', 2, `<ModifiedSince>${when}</ModifiedSince>`))
      .then((r) => field(r.body, 'TotalCount'));
  expect(await since('2021-01-01T00:00:00Z')).toBe('0');
  const comment = await gw.post(
    request(
      'SaveTicketComment',
      1,
      `<Comment><Id>${t.comment}</Id><TicketId>${t.id}</TicketId><Text>News</Text></Comment>`,
    ),
  );
  expect(comment.resultCode).toBe(0);
  expect(await since('2021-01-01T00:00:00Z')).toBe('1');
});

test('30 rounds: CloseTicket racing SaveTicketComment and SaveTicketWorkingTime with the same Ids: 0 or 35, never 18/19, stored data consistent', async () => {
  const saveComment = (id: string, ticket: string, text: string) =>
    request(
      'SaveTicketComment',
      1,
      `<Comment><Id>${id}</Id><TicketId>${ticket}</TicketId><Text>${text}</Text></Comment>`,
    );
  const saveTime = (id: string, ticket: string) =>
    request(
      'SaveTicketWorkingTime',
      1,
      `<WorkingTime xsi:type="TTicketWorkingTime_V1"><Id>${id}</Id><TicketId>${ticket}</TicketId><Executor>${ANNA}</Executor>
      <StartDate>2026-01-05T08:00:00Z</StartDate><EndDate>2026-01-05T08:45:00Z</EndDate></WorkingTime>`,
    );
  for (let round = 0; round < 30; round++) {
    const t = { id: guid(), comment: guid(), time: guid() };
    const other = guid();
    expect((await gw.post(save(t.id, `Race ${round}`))).resultCode).toBe(0);
    expect((await gw.post(save(other, `Other ${round}`))).resultCode).toBe(0);
    // Rounds alternate: the racing saves name the closed ticket (same text as the close) or another ticket.
    const target = round % 2 ? t.id : other;
    const [closed, comment, time] = await Promise.all([
      gw.post(close(t.id, t.comment, t.time)),
      gw.post(saveComment(t.comment, target, 'Done')),
      gw.post(saveTime(t.time, target)),
    ]);
    const codes = [closed, comment, time].map(
      (r) => `${r.resultCode} ${r.resultCode ? field(r.body, 'ResultMessage') : ''}`,
    );
    for (const c of codes)
      expect(c).toMatch(
        /^(0 |35 .*(already exists|belongs to ticket|already closed|send the request again))/,
      );

    // Read back: one row per Id; the close happened entirely or not at all.
    const state = (
      await gw
        .db('tickets')
        .first('state')
        .where({ id: t.id.slice(1, -1) })
    ).state;
    const comments = await gw
      .db('ticket_comments')
      .select('ticket_id')
      .where({ id: t.comment.slice(1, -1) });
    const times = await gw
      .db('ticket_working_times')
      .select('ticket_id')
      .where({ id: t.time.slice(1, -1) });
    expect([comments.length, times.length]).toEqual([1, 1]);
    if (closed.resultCode === 0) {
      expect(state).toBe('Closed');
      expect([comments[0].ticket_id, times[0].ticket_id]).toEqual([
        t.id.slice(1, -1).toLowerCase(),
        t.id.slice(1, -1).toLowerCase(),
      ]);
    } else {
      expect(state).toBe('New');
      expect([comment.resultCode, time.resultCode]).toEqual([0, 0]);
    }
    // Saves on another ticket lose to a close that won: an entry never moves.
    if (target === other && closed.resultCode === 0)
      expect([comment.resultCode, time.resultCode]).toEqual([35, 35]);
  }
});
