// Comments and attachments of one ticket, end to end over HTTP against the real database
// (docs/protocol.md §7): save (V1 and V2), read back, edit, delete; attachments round-trip byte for byte,
// the size limit holds at its exact edge, and a list is saved all or none.
import { randomBytes } from 'node:crypto';
import { request, startTestGateway, type TestGateway } from '../support/gateway';

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(async () => {
  await gw.stop();
});
beforeEach(async () => {
  await gw.reset();
});

const TICKET = '{D1000000-0000-4000-8000-000000000001}';
const OTHER_TICKET = '{D1000000-0000-4000-8000-000000000002}';
const comment = (n: number) => `{D2000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const attachment = (n: number) => `{D3000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const doc = (n: number) => `{D4000000-0000-4000-8000-${String(n).padStart(12, '0')}}`;
const CALLER = 'Anna Admin'; // Settings.ApiUserId of the demo seed

async function call(command: string, version: number, payload: string, expectCode = 0) {
  const res = await gw.post(request(command, version, payload));
  if (res.resultCode !== expectCode)
    throw new Error(
      `${command}_V${version}: expected ResultCode ${expectCode}, got ${res.resultCode}\n${res.body}`,
    );
  return res.body;
}

/** Text of every <name> element, in document order (entities of the writer undone). */
function all(xml: string, name: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<${name}(?:/>|>([^<]*)</${name}>)`, 'g');
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    out.push(
      (m[1] ?? '')
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&#13;/g, '\r')
        .replace(/&amp;/g, '&'),
    );
  }
  return out;
}
const one = (xml: string, name: string) => all(xml, name)[0];
const count = async (table: string) => Number((await gw.db(table).count('* as n').first())!.n);

async function createTicket(id = TICKET) {
  await call(
    'SaveTicket',
    4,
    `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>Printer does not print</Title></Ticket>`,
  );
}

describe('comments', () => {
  test('save with V1 and V2, list oldest first with preview, get, edit, delete', async () => {
    await createTicket();
    const long = `${'Ä'.repeat(150) + '🖨'.repeat(60)}tail`;
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><TicketId>${TICKET}</TicketId><Text>First, by V1</Text></Comment>`,
    );
    await call(
      'SaveTicketComment',
      2,
      `<Comment xsi:type="TTicketComment_V2"><Id>${comment(2)}</Id><TicketId>${TICKET}</TicketId>
      <Text>${long}</Text><HtmlText>&lt;p&gt;long&lt;/p&gt;</HtmlText><IsVisibleForWeb>true</IsVisibleForWeb></Comment>`,
    );
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(3)}</Id><TicketId>${TICKET}</TicketId><Text>Third</Text></Comment>`,
    );

    const list = await call('GetTicketComments', 1, `<TicketId>${TICKET}</TicketId>`);
    expect(all(list, 'Id')).toEqual([comment(1), comment(2), comment(3)]);
    expect(all(list, 'Text')).toEqual(['First, by V1', long, 'Third']);
    expect(all(list, 'Creator')).toEqual([CALLER, CALLER, CALLER]);
    expect(all(list, 'IsVisibleForWeb')).toEqual(['false', 'true', 'false']);

    const items = await call('GetCommentListOfTicket', 1, `<TicketId>${TICKET}</TicketId>`);
    expect(all(items, 'Id')).toEqual([comment(1), comment(2), comment(3)]);
    // 200 characters, not UTF-16 units or bytes: 150 'Ä' and 50 printers.
    expect(all(items, 'Preview')).toEqual([
      'First, by V1',
      'Ä'.repeat(150) + '🖨'.repeat(50),
      'Third',
    ]);

    const v1 = await call('GetTicketComment', 1, `<CommentId>${comment(2)}</CommentId>`);
    expect(one(v1, 'Text')).toBe(long);
    expect(all(v1, 'HtmlText')).toEqual([]); // TTicketComment_V1 has no HtmlText
    const v2 = await call('GetTicketComment', 2, `<CommentId>${comment(2)}</CommentId>`);
    expect(one(v2, 'HtmlText')).toBe('<p>long</p>');

    // Edit: only what is sent changes.
    await call(
      'SaveTicketComment',
      2,
      `<Comment><Id>${comment(2)}</Id><IsVisibleForWeb>false</IsVisibleForWeb></Comment>`,
    );
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><Text>First, edited</Text></Comment>`,
    );
    const edited = await gw
      .db('ticket_comments')
      .select('id', 'text', 'html_text', 'is_visible_for_web')
      .orderBy('position');
    expect(edited.map((r) => [r.text, r.html_text, r.is_visible_for_web])).toEqual([
      ['First, edited', '', false],
      [long, '<p>long</p>', false],
      ['Third', '', false],
    ]);

    await call('DeleteTicketComment', 1, `<CommentId>${comment(2)}</CommentId>`);
    await call('DeleteTicketComment', 1, `<CommentId>${comment(2)}</CommentId>`, 30);
    await call('GetTicketComment', 2, `<CommentId>${comment(2)}</CommentId>`, 30);
    expect(
      all(await call('GetCommentListOfTicket', 1, `<TicketId>${TICKET}</TicketId>`), 'Id'),
    ).toEqual([comment(1), comment(3)]);
  });

  test('read-only fields are ignored on create and on edit', async () => {
    await createTicket();
    const readOnly = `<Creator>Mallory</Creator><CreationDate>2000-01-01T00:00:00Z</CreationDate><IsExternal>true</IsExternal>
      <ExternalMail>m@example.com</ExternalMail><ExternalRecipient>r@example.com</ExternalRecipient><ExternalCC>cc@example.com</ExternalCC><Signature>M.</Signature>`;
    await call(
      'SaveTicketComment',
      2,
      `<Comment><Id>${comment(1)}</Id><TicketId>${TICKET}</TicketId><Text>Hello</Text>${readOnly}</Comment>`,
    );
    const before = await gw
      .db('ticket_comments')
      .first('*')
      .where({ id: comment(1) });
    expect(before).toMatchObject({
      creator: CALLER,
      is_external: false,
      external_mail: '',
      external_recipient: '',
      external_cc: '',
      signature: '',
    });
    expect(before.creation_date.getFullYear()).toBeGreaterThan(2000);

    await call(
      'SaveTicketComment',
      2,
      `<Comment><Id>${comment(1)}</Id><Text>Hello again</Text>${readOnly.replace(/Mallory/, 'Eve')}</Comment>`,
    );
    const after = await gw
      .db('ticket_comments')
      .first('*')
      .where({ id: comment(1) });
    expect(after).toEqual({ ...before, text: 'Hello again' });
  });

  test('refusals change nothing: unknown ticket, moving to another ticket, missing text', async () => {
    await createTicket();
    await createTicket(OTHER_TICKET);
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><TicketId>{DEADBEEF-0000-4000-8000-000000000000}</TicketId><Text>x</Text></Comment>`,
      30,
    );
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><TicketId>${TICKET}</TicketId></Comment>`,
      35,
    );
    expect(await count('ticket_comments')).toBe(0);
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><TicketId>${TICKET}</TicketId><Text>Kept</Text></Comment>`,
    );
    await call(
      'SaveTicketComment',
      1,
      `<Comment><Id>${comment(1)}</Id><TicketId>${OTHER_TICKET}</TicketId><Text>Moved</Text></Comment>`,
      35,
    );
    await call(
      'GetTicketComments',
      1,
      `<TicketId>{DEADBEEF-0000-4000-8000-000000000000}</TicketId>`,
      30,
    );
    expect(await gw.db('ticket_comments').select('text', 'ticket_id')).toEqual([
      { text: 'Kept', ticket_id: TICKET.slice(1, -1).toLowerCase() },
    ]);
  });

  test('the same new comment sent twice at once is stored once', async () => {
    await createTicket();
    const save = () =>
      gw.post(
        request(
          'SaveTicketComment',
          1,
          `<Comment><Id>${comment(1)}</Id><TicketId>${TICKET}</TicketId><Text>Once</Text></Comment>`,
        ),
      );
    const results = await Promise.all([save(), save(), save()]);
    expect(results.map((r) => r.resultCode)).toEqual([0, 0, 0]);
    expect(await count('ticket_comments')).toBe(1);
  });
});

const attachmentXml = (n: number, content: Buffer | string, extra = '') =>
  `<TTicketAttachment_V1 xsi:type="TTicketAttachment_V1"><Id>${attachment(n)}</Id><DocumentId>${doc(n)}</DocumentId><Name>File ${n}</Name>` +
  `<FileName>file${n}.bin</FileName>${extra}<Content>${typeof content === 'string' ? content : content.toString('base64')}</Content></TTicketAttachment_V1>`;
const saveAttachments = (items: string[], expectCode = 0, ticket = TICKET) =>
  call(
    'SaveTicketAttachments',
    1,
    `<TicketId>${ticket}</TicketId><Attachments>${items.join('')}</Attachments>`,
    expectCode,
  );

async function download(n: number): Promise<Buffer> {
  const body = await call(
    'GetTicketAttachment',
    1,
    `<AttachmentId>${attachment(n)}</AttachmentId>`,
  );
  return Buffer.from(one(body, 'Content'), 'base64');
}

describe('attachments', () => {
  const LIMIT = 3072 * 1024; // MaxAttachmentSizeKb of the demo seed

  test('random binary content comes back byte for byte, up to exactly the size limit', async () => {
    await createTicket();
    const small = randomBytes(1000);
    const empty = Buffer.from([0, 0, 0]);
    const atLimit = randomBytes(LIMIT);
    // MIME-style line breaks inside base64 are tolerated.
    const wrapped = small.toString('base64').replace(/.{76}/g, '$&\r\n');
    await saveAttachments([
      attachmentXml(1, wrapped, '<Description>wrapped</Description>'),
      attachmentXml(2, empty),
      attachmentXml(3, atLimit),
    ]);

    expect((await download(1)).equals(small)).toBe(true);
    expect((await download(2)).equals(empty)).toBe(true);
    expect((await download(3)).equals(atLimit)).toBe(true);

    const list = await call('GetTicketAttachments', 1, `<TicketId>${TICKET}</TicketId>`);
    expect(all(list, 'Id')).toEqual([attachment(1), attachment(2), attachment(3)]);
    expect(all(list, 'Size')).toEqual(['1000', '3', String(LIMIT)]);
    expect(all(list, 'Creator')).toEqual([CALLER, CALLER, CALLER]);
    expect(all(list, 'Content')).toEqual([]); // metadata only
  });

  test('one byte over the limit is refused and nothing is stored', async () => {
    await createTicket();
    const body = await saveAttachments([attachmentXml(1, randomBytes(LIMIT + 1))], 35);
    expect(one(body, 'FirstErrorMsg')).toBe(
      `Attachments/TTicketAttachment_V1[1]/Content: ${LIMIT + 1} bytes is more than MaxAttachmentSizeKb (3072 KB)`,
    );
    expect(await count('ticket_attachments')).toBe(0);
  });

  test('all or none: when item 2 of 3 fails, items 1 and 3 are not stored either', async () => {
    await createTicket();
    await saveAttachments([attachmentXml(9, randomBytes(10))]);
    const body = await saveAttachments(
      [
        attachmentXml(1, randomBytes(10)),
        attachmentXml(2, 'bad*base64'),
        `<TTicketAttachment_V1><Id>${attachment(9)}</Id><DocumentId>${doc(9)}</DocumentId><Description>changed</Description></TTicketAttachment_V1>`,
      ],
      35,
    );
    expect(one(body, 'FirstErrorMsg')).toMatch(
      /^Attachments\/TTicketAttachment_V1\[2\]\/Content: not valid base64: character 4 is "\*"/,
    );
    expect(await gw.db('ticket_attachments').select('id', 'description')).toEqual([
      { id: attachment(9).slice(1, -1).toLowerCase(), description: '' },
    ]);
  });

  test('an edit changes only Description and IsVisibleForWeb, and needs the matching DocumentId', async () => {
    await createTicket();
    const original = randomBytes(64);
    await saveAttachments([
      attachmentXml(
        1,
        original,
        '<Description>first</Description><IsVisibleForWeb>false</IsVisibleForWeb>',
      ),
    ]);
    const before = await gw
      .db('ticket_attachments')
      .first('*')
      .where({ id: attachment(1) });

    await saveAttachments([
      `<TTicketAttachment_V1><Id>${attachment(1)}</Id><DocumentId>${doc(1)}</DocumentId><Name>Renamed</Name><FileName>x.txt</FileName>` +
        `<Description>second</Description><IsVisibleForWeb>true</IsVisibleForWeb><Size>1</Size><Creator>Mallory</Creator>` +
        `<Content>${randomBytes(10).toString('base64')}</Content></TTicketAttachment_V1>`,
    ]);
    const after = await gw
      .db('ticket_attachments')
      .first('*')
      .where({ id: attachment(1) });
    expect(after).toEqual({ ...before, description: 'second', is_visible_for_web: true });
    expect((await download(1)).equals(original)).toBe(true);

    await saveAttachments(
      [
        `<TTicketAttachment_V1><Id>${attachment(1)}</Id><Description>third</Description></TTicketAttachment_V1>`,
      ],
      35,
    );
    await saveAttachments(
      [
        `<TTicketAttachment_V1><Id>${attachment(1)}</Id><DocumentId>${doc(2)}</DocumentId><Description>third</Description></TTicketAttachment_V1>`,
      ],
      35,
    );
    await createTicket(OTHER_TICKET);
    await saveAttachments(
      [
        `<TTicketAttachment_V1><Id>${attachment(1)}</Id><DocumentId>${doc(1)}</DocumentId><Description>third</Description></TTicketAttachment_V1>`,
      ],
      35,
      OTHER_TICKET,
    );
    expect(
      await gw
        .db('ticket_attachments')
        .first('*')
        .where({ id: attachment(1) }),
    ).toEqual(after);
  });

  test('unknown ticket answers 30 with FirstErrorMsg', async () => {
    const body = await saveAttachments(
      [attachmentXml(1, randomBytes(5))],
      30,
      '{DEADBEEF-0000-4000-8000-000000000000}',
    );
    expect(one(body, 'FirstErrorMsg')).toBe(
      'TicketId: no ticket with Id {DEADBEEF-0000-4000-8000-000000000000}',
    );
    await call(
      'GetTicketAttachments',
      1,
      `<TicketId>{DEADBEEF-0000-4000-8000-000000000000}</TicketId>`,
      30,
    );
  });

  test('delete: an unknown Id deletes nothing; known Ids are all deleted', async () => {
    await createTicket();
    await saveAttachments([
      attachmentXml(1, randomBytes(5)),
      attachmentXml(2, randomBytes(5)),
      attachmentXml(3, randomBytes(5)),
    ]);
    const ids = (xs: string[]) =>
      `<AttachmentIds>${xs.map((x) => `<string>${x}</string>`).join('')}</AttachmentIds>`;
    const body = await call(
      'DeleteTicketAttachments',
      1,
      ids([attachment(1), '{DEADBEEF-0000-4000-8000-000000000000}']),
      30,
    );
    expect(one(body, 'ResultMessage')).toContain(
      'AttachmentIds/string[2]: no attachment with Id {DEADBEEF-0000-4000-8000-000000000000}',
    );
    expect(await count('ticket_attachments')).toBe(3);

    await call('DeleteTicketAttachments', 1, ids([attachment(1), attachment(3)]));
    expect(
      all(await call('GetTicketAttachments', 1, `<TicketId>${TICKET}</TicketId>`), 'Id'),
    ).toEqual([attachment(2)]);
    await call('GetTicketAttachment', 1, `<AttachmentId>${attachment(1)}</AttachmentId>`, 30);
  });
});
