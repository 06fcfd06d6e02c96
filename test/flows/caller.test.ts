// The caller in the command context decides who created comments and costs, whose reminder a
// save or delete without UserId touches, and what "My tickets" lists (docs/protocol.md §5, "the caller").
import { type Caller, openModeCaller, PERMISSIONS } from '../../src/identity/caller';
import { processCommand } from '../../src/protocol/process-command';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, testRegistry } from '../support/gateway';

const BEN: Caller = {
  id: '10000000-0000-4000-8000-000000000002',
  name: 'Ben Support',
  permissions: new Set(PERMISSIONS),
};
const BENS_TICKET = 'D1000000-0000-4000-8000-000000000001';
const ANNAS_TICKET = 'D1000000-0000-4000-8000-000000000002';

let t: TestDatabase;
let anna: Caller; // Settings.ApiUserId, the open-mode caller
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.close();
});
beforeEach(async () => {
  await t.reset();
  anna = await openModeCaller(t.db);
  for (const [id, assignee] of [
    [BENS_TICKET, BEN.id],
    [ANNAS_TICKET, anna.id],
  ]) {
    await ok(
      request(
        'SaveTicket',
        1,
        `<Ticket xsi:type="TTicket_V1"><Id>{${id}}</Id><Title>t</Title><AssigneeId>{${assignee}}</AssigneeId></Ticket>`,
      ),
      anna,
    );
  }
});

async function ok(body: string, caller: Caller): Promise<string> {
  const result = await processCommand(
    body,
    { db: t.db, registry: testRegistry(), caller },
    () => {},
  );
  expect(/<ResultMessage>([^<]*)</.exec(result.xml)?.[1]).toBe('OK');
  return result.xml;
}

test('a comment saved by the caller has the caller as Creator', async () => {
  await ok(
    request(
      'SaveTicketComment',
      1,
      `<Comment xsi:type="TTicketComment_V1"><Id>{D2000000-0000-4000-8000-000000000001}</Id><TicketId>{${ANNAS_TICKET}}</TicketId><Text>x</Text></Comment>`,
    ),
    BEN,
  );
  expect(await t.db('ticket_comments').first('creator', 'creator_id')).toEqual({
    creator: 'Ben Support',
    creator_id: BEN.id,
  });
  const read = await ok(
    request('GetTicketComment', 2, '<CommentId>{D2000000-0000-4000-8000-000000000001}</CommentId>'),
    anna,
  );
  expect(read).toContain('<Creator>Ben Support</Creator>');
});

test('a cost saved by the caller has the caller as CreatorId', async () => {
  const cost = `<TTicketCost_V1 xsi:type="TTicketCost_V1"><Id>{D3000000-0000-4000-8000-000000000001}</Id><TicketId>{${ANNAS_TICKET}}</TicketId><UnitPrice>1.00</UnitPrice><Amount>1</Amount></TTicketCost_V1>`;
  await ok(request('SaveTicketCosts', 1, `<Costs>${cost}</Costs>`), BEN);
  expect((await t.db('ticket_costs').first('creator_id')).creator_id).toBe(BEN.id);
});

test("a reminder without UserId is the caller's, saved and deleted", async () => {
  const reminder = `<Reminder xsi:type="TTicketReminder_V1"><TicketId>{${ANNAS_TICKET}}</TicketId><ReminderDate>2030-07-02T08:00:00.000Z</ReminderDate></Reminder>`;
  await ok(request('SaveReminderOfTicket', 1, reminder), BEN);
  await ok(request('SaveReminderOfTicket', 1, reminder), anna);
  expect(
    (await t.db('ticket_reminders').select('user_id').orderBy('user_id')).map((r) => r.user_id),
  ).toEqual([anna.id, BEN.id]);
  await ok(request('DeleteReminderOfTicket', 1, `<TicketId>{${ANNAS_TICKET}}</TicketId>`), BEN);
  expect((await t.db('ticket_reminders').select('user_id')).map((r) => r.user_id)).toEqual([
    anna.id,
  ]);
});

test('"My tickets" lists the tickets assigned to the caller', async () => {
  const myTickets = request(
    'GetTicketListByQuery',
    1,
    '<QueryId>{6E3A2B10-0C1D-4F7A-9B21-000000000003}</QueryId>',
  );
  const ids = (xml: string) =>
    [...xml.matchAll(/<Id>\{([^}]+)\}<\/Id>/g)]
      .map((m) => m[1])
      .filter((id) => id.startsWith('D1'));
  expect(ids(await ok(myTickets, BEN))).toEqual([BENS_TICKET]);
  expect(ids(await ok(myTickets, anna))).toEqual([ANNAS_TICKET]);
});
