// The minimal pipeline: the least work a correct answer to SaveTicket_V4 (create),
// GetTicket_V5 and GetTicketList_V1 needs on this machine and database: Node's http server,
// fast-xml-parser, ONE SQL statement (prepared, pg pool of the gateway's size), the answer written
// with string templates. It does no validation, no reference checks, no permissions and no error
// answers: it is the ceiling the gateway is measured against, not a competitor. Its own table,
// minimal_tickets (LIKE tickets: same columns, defaults and indexes, no foreign keys), lives in
// the benchmark's database. Run by bench/run.ts as a process of its own, like the gateway:
//   DATABASE_URL=... PORT=... POOL_MAX=10 node dist/bench/minimal-pipeline.js

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import pg from 'pg';

export const MINIMAL_TABLE = 'minimal_tickets';
export const CREATE_MINIMAL_TABLE = `create table if not exists ${MINIMAL_TABLE} (like tickets including defaults including indexes)`;

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false });

const xml = (s: unknown) =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
const guid = (id: string | null) => (id ? `{${id.toUpperCase()}}` : '');
const date = (d: Date | null) => (d ? d.toISOString() : '');
const leaf = (indent: string, name: string, value: string) =>
  value === '' ? `${indent}<${name}/>\n` : `${indent}<${name}>${value}</${name}>\n`;

function envelope(command: string, version: number, body: string): string {
  return `<ICQL xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://acmp.com/${command}Response_V${version}">
  <ACMP>
    <${command} ActionType="Response" version="${version}">
      <T${command}Response_V${version} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
${body}        <ResultCode>0</ResultCode>
        <ResultMessage>OK</ResultMessage>
      </T${command}Response_V${version}>
    </${command}>
  </ACMP>
</ICQL>`;
}

const bare = (id: unknown) =>
  typeof id === 'string' && id !== '' ? id.replace(/[{}]/g, '') : null;
const text = (v: unknown) => (typeof v === 'string' ? v : v === undefined ? undefined : '');

type Handler = (db: pg.Pool, payload: Record<string, any>) => Promise<string>;

const HANDLERS: Record<string, Handler> = {
  async TSaveTicketRequest_V4(db, p) {
    const t = p.Ticket;
    const { rows } = await db.query({
      name: 'minimal_save',
      text: `insert into ${MINIMAL_TABLE} (id, title, html_description, category_id, priority, state, contact_id, assignee_id, keywords, impact_id, due_date, source)
             values ($1, $2, coalesce($3, ''), $4, coalesce($5::smallint, 3), coalesce($6, 'New'), $7, $8, coalesce($9, ''), $10, $11, coalesce($12, 'Unknown')) returning id, number`,
      values: [
        bare(t.Id),
        text(t.Title),
        text(t.HtmlDescription),
        bare(t.CategoryId),
        t.Priority ?? null,
        t.State ?? null,
        bare(t.ContactId),
        bare(t.Assignee?.Id),
        text(t.Keywords),
        bare(t.ImpactId),
        t.DueDate || null,
        t.Source ?? null,
      ],
    });
    return envelope(
      'SaveTicket',
      4,
      `        <TicketId>${guid(rows[0].id)}</TicketId>\n        <TicketNumber>${rows[0].number}</TicketNumber>\n`,
    );
  },

  async TGetTicketRequest_V5(db, p) {
    const { rows } = await db.query({
      name: 'minimal_get',
      text: `select t.*, a.name as a_name, a.description as a_description, a.email as a_email, a.user_type as a_user_type, a.roles as a_roles, a.is_group as a_is_group,
               (select coalesce(sum(w.duration_minutes), 0) from ticket_working_times w where w.ticket_id = t.id)::int as total_working_time,
               (select coalesce(sum(c.total_price), 0) from ticket_costs c where c.ticket_id = t.id) as total_costs
             from ${MINIMAL_TABLE} t left join assignees a on a.id = t.assignee_id where t.id = $1`,
      values: [bare(p.TicketId)],
    });
    const r = rows[0];
    const i = '          ';
    const assignee = r.assignee_id
      ? `${i}<Assignee xsi:type="TAssignee_V1">\n` +
        leaf(`${i}  `, 'Id', guid(r.assignee_id)) +
        leaf(`${i}  `, 'Name', xml(r.a_name)) +
        leaf(`${i}  `, 'Description', xml(r.a_description)) +
        leaf(`${i}  `, 'Email', xml(r.a_email)) +
        leaf(`${i}  `, 'UserType', xml(r.a_user_type)) +
        `${i}  <Roles>\n${(r.a_roles ?? []).map((role: string) => `${i}    <string>${xml(role)}</string>\n`).join('')}${i}  </Roles>\n` +
        leaf(`${i}  `, 'AssigneeIsGroup', String(r.a_is_group)) +
        `${i}</Assignee>\n`
      : `${i}<Assignee/>\n`;
    const body =
      `        <Ticket xsi:type="TTicket_V5">\n` +
      leaf(i, 'Id', guid(r.id)) +
      leaf(i, 'TicketNumber', String(r.number)) +
      leaf(i, 'Title', xml(r.title)) +
      leaf(i, 'HtmlDescription', xml(r.html_description)) +
      leaf(i, 'CategoryId', guid(r.category_id)) +
      leaf(i, 'Priority', String(r.priority)) +
      leaf(i, 'State', r.state) +
      leaf(i, 'ContactId', guid(r.contact_id)) +
      assignee +
      leaf(i, 'CreationDate', date(r.creation_date)) +
      leaf(i, 'LastModified', date(r.last_modified)) +
      leaf(i, 'Keywords', xml(r.keywords)) +
      leaf(i, 'ImpactId', guid(r.impact_id)) +
      leaf(i, 'DueDate', date(r.due_date)) +
      leaf(i, 'Source', r.source) +
      leaf(i, 'TemplateId', guid(r.template_id)) +
      leaf(i, 'ResolutionId', guid(r.resolution_id)) +
      leaf(i, 'ClosedDate', date(r.closed_date)) +
      leaf(i, 'TotalWorkingTime', String(r.total_working_time)) +
      leaf(i, 'TotalCosts', String(r.total_costs)) +
      leaf(i, 'MasterTicketId', guid(r.master_ticket_id)) +
      `        </Ticket>\n`;
    return envelope('GetTicket', 5, body);
  },

  async TGetTicketListRequest_V1(db, p) {
    // The page and the exact total in one statement (one snapshot).
    const { rows } = await db.query({
      name: 'minimal_list',
      text: `select t.id, t.number, t.title, t.state, t.priority, t.category_id, t.assignee_id, coalesce(a.is_group, false) as assignee_is_group,
               t.creation_date, t.last_modified, (select count(*) from ${MINIMAL_TABLE}) as total_count
             from ${MINIMAL_TABLE} t left join assignees a on a.id = t.assignee_id
             order by t.creation_date desc, t.number desc limit $1`,
      values: [Number(p.MaxCount ?? 1000)],
    });
    const i = '            ';
    const items = rows
      .map(
        (r) =>
          `          <TTicketListItem_V1 xsi:type="TTicketListItem_V1">\n` +
          leaf(i, 'Id', guid(r.id)) +
          leaf(i, 'TicketNumber', String(r.number)) +
          leaf(i, 'Title', xml(r.title)) +
          leaf(i, 'State', r.state) +
          leaf(i, 'Priority', String(r.priority)) +
          leaf(i, 'CategoryId', guid(r.category_id)) +
          leaf(i, 'AssigneeId', guid(r.assignee_id)) +
          leaf(i, 'AssigneeIsGroup', String(r.assignee_is_group)) +
          leaf(i, 'CreationDate', date(r.creation_date)) +
          leaf(i, 'LastModified', date(r.last_modified)) +
          `          </TTicketListItem_V1>\n`,
      )
      .join('');
    return envelope(
      'GetTicketList',
      1,
      `        <Tickets>\n${items}        </Tickets>\n        <TotalCount>${rows[0]?.total_count ?? 0}</TotalCount>\n`,
    );
  },
};

export function startMinimal(
  db: pg.Pool,
  port: number,
  host = '127.0.0.1',
): Promise<ReturnType<typeof createServer>> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const doc = parser.parse(Buffer.concat(chunks).toString('utf8'));
        const command = Object.values(doc.ICQL.ACMP)[0] as Record<string, any>;
        const [name, payload] = Object.entries(command)[0];
        const answer = await HANDLERS[name](db, payload);
        res
          .writeHead(200, { 'Content-Type': 'text/xml; charset=utf-8', 'X-ACMP-Result-Code': '0' })
          .end(answer);
      } catch (e) {
        // Not part of the measured path: the benchmark only sends requests it can answer.
        res.writeHead(500, { 'X-ACMP-Result-Code': '18' }).end(String((e as Error).message));
      }
    });
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

if (require.main === module) {
  (async () => {
    const db = new pg.Pool({
      connectionString: process.env.DATABASE_URL,
      max: Number(process.env.POOL_MAX ?? 10),
    });
    await db.query(CREATE_MINIMAL_TABLE);
    await startMinimal(db, Number(process.env.PORT));
    console.log(`minimal pipeline: serving on port ${process.env.PORT}`);
    process.on('SIGTERM', () => process.exit(0));
  })().catch((e: Error) => {
    console.error(`minimal pipeline did not start: ${e.message}`);
    process.exit(1);
  });
}
