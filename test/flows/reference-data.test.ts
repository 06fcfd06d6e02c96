// Reference data commands in sequence (docs/protocol.md §7: GetTicketFromTemplate_V1 then SaveTicket_V4;
// GetEmailMonitorList_V1 and DeleteEmailMonitorList_V1), checked against the stored rows.
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.stop());
beforeEach(() => gw.reset());

const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
const WORKSTATION = '{70000000-0000-4000-8000-000000000003}';
const [INBOX, OLD_INBOX] = [
  '{A0000000-0000-4000-8000-000000000001}',
  '{A0000000-0000-4000-8000-000000000002}',
];

test('a ticket from a template is not stored; saved with its Id and TemplateId it gets the totals it showed', async () => {
  const fromTemplate = await gw.post(
    request('GetTicketFromTemplate', 1, `<TemplateId>${WORKSTATION}</TemplateId>`),
  );
  expect(fromTemplate.resultCode).toBe(0);
  const id = field(fromTemplate.body, 'Id')!;
  expect(await gw.db('tickets').count('* as n').first()).toEqual({ n: 0 });
  const again = await gw.post(
    request('GetTicketFromTemplate', 1, `<TemplateId>${WORKSTATION}</TemplateId>`),
  );
  expect(field(again.body, 'Id')).not.toBe(id);

  const saved = await gw.post(
    request(
      'SaveTicket',
      4,
      `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><TemplateId>${WORKSTATION}</TemplateId></Ticket>`,
    ),
  );
  expect(saved.resultCode).toBe(0);
  const stored = await gw.post(request('GetTicket', 5, `<TicketId>${id}</TicketId>`));
  for (const name of [
    'Title',
    'CategoryId',
    'Priority',
    'State',
    'TemplateId',
    'TotalWorkingTime',
    'TotalCosts',
  ]) {
    expect([name, field(stored.body, name)]).toEqual([name, field(fromTemplate.body, name)]);
  }
});

test('deleting email monitors is all or nothing', async () => {
  const refused = await gw.post(
    request(
      'DeleteEmailMonitorList',
      1,
      `<EmailMonitorIds><string>${OLD_INBOX}</string><string>{DEADBEEF-0000-4000-8000-000000000099}</string></EmailMonitorIds>`,
    ),
  );
  expect(refused.resultCode).toBe(30);
  expect(await gw.db('email_monitors').count('* as n').first()).toEqual({ n: 2 });

  const deleted = await gw.post(
    request(
      'DeleteEmailMonitorList',
      1,
      `<EmailMonitorIds><string>${OLD_INBOX}</string><string>${OLD_INBOX}</string></EmailMonitorIds>`,
    ),
  );
  expect(deleted.resultCode).toBe(0);
  const list = await gw.post(request('GetEmailMonitorList', 1, ''));
  expect(list.body).toContain(INBOX);
  expect(list.body).not.toContain(OLD_INBOX);

  const gone = await gw.post(
    request(
      'DeleteEmailMonitorList',
      1,
      `<EmailMonitorIds><string>${OLD_INBOX}</string></EmailMonitorIds>`,
    ),
  );
  expect(gone.resultCode).toBe(30);
});
