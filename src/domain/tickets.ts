// Tickets, version-free (docs/protocol.md §7: SaveTicket, GetTicket). Version files map the wire to these.

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { preparedQuery } from '../db/connection';
import type { Caller } from '../identity/caller';
import { NotFound, PermissionDenied, RuleViolation } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { type Reference, referenceCheck, requireReferences } from './references';
import { lockWritableTicket } from './ticket-locks';

export type TicketState = 'New' | 'Open' | 'InProgress' | 'Waiting' | 'Closed';

export interface AssigneeRef {
  id: string | null;
  /** undefined: a user or a group (TTicket_V1/V2 carry only AssigneeId). */
  isGroup?: boolean;
}

/** A save: undefined leaves a stored value unchanged, null clears it (docs/protocol.md §2, partial edits). */
export interface TicketInput {
  id: string;
  title?: string;
  htmlDescription?: string;
  categoryId?: string | null;
  priority?: number;
  state?: TicketState;
  contactId?: string | null;
  assignee?: AssigneeRef;
  keywords?: string;
  impactId?: string | null;
  dueDate?: Date | null;
  source?: string;
  templateId?: string | null;
}

export interface Assignee {
  id: string;
  name: string;
  description: string;
  email: string;
  userType: string;
  roles: string[];
  isGroup: boolean;
}

export interface Ticket {
  id: string;
  number: number;
  title: string;
  htmlDescription: string;
  categoryId: string | null;
  priority: number;
  state: TicketState;
  contactId: string | null;
  assignee: Assignee | null;
  keywords: string;
  impactId: string | null;
  dueDate: Date | null;
  source: string;
  templateId: string | null;
  resolutionId: string | null;
  closedDate: Date | null;
  totalWorkingTime: number;
  totalCosts: string;
  masterTicketId: string | null;
  creationDate: Date;
  lastModified: Date;
}

// Input field -> column, for the fields a save may set.
const COLUMNS = {
  title: 'title',
  htmlDescription: 'html_description',
  categoryId: 'category_id',
  priority: 'priority',
  state: 'state',
  contactId: 'contact_id',
  keywords: 'keywords',
  impactId: 'impact_id',
  dueDate: 'due_date',
  source: 'source',
} as const;

/** The columns a save sets: the fields it sends (absent ones stay as stored). */
function ticketColumns(input: TicketInput): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(COLUMNS)) {
    const value = input[field as keyof typeof COLUMNS];
    if (value !== undefined) columns[column] = value;
  }
  if (input.assignee) columns.assignee_id = input.assignee.id;
  return columns;
}

export async function saveTicket(
  db: Knex,
  input: TicketInput,
  caller: Caller,
): Promise<{ id: string; number: number }> {
  if (input.state === 'Closed')
    throw new RuleViolation(
      'Ticket/State: a ticket is closed with CloseTicket_V1, not saved as Closed',
    );
  const references: Reference[] = [
    { table: 'categories', id: input.categoryId, field: 'Ticket/CategoryId' },
    { table: 'contacts', id: input.contactId, field: 'Ticket/ContactId' },
    { table: 'impacts', id: input.impactId, field: 'Ticket/ImpactId' },
    { table: 'templates', id: input.templateId, field: 'Ticket/TemplateId' },
    // TTicket_V1/V2 carry AssigneeId, V3+ an Assignee object: name the field the caller sent.
    {
      table: 'assignees',
      id: input.assignee?.id,
      field: input.assignee?.isGroup === undefined ? 'Ticket/AssigneeId' : 'Ticket/Assignee',
      isGroup: input.assignee?.isGroup,
    },
  ];

  const columns = ticketColumns(input);

  // One transaction, even for the one-statement create: its COMMIT is sent only once the
  // statement's answer is in, so a create the gateway gave up on (ResultCode 19) is rolled back
  // whenever PostgreSQL gets to it (docs/protocol.md §3). BEGIN travels with the first statement
  // (src/db/connection.ts): a create is that statement and the COMMIT.
  return db.transaction(async (trx) => {
    // The automation flow's common case, a create without a template, is one statement, its
    // references checked in it (nothing is inserted when one is missing).
    if (!input.templateId && input.title) {
      const created = await insertIfAbsent(trx, { id: input.id, ...columns }, references);
      if (created) return created;
    } else {
      await requireReferences(trx, references);
    }
    const existing = await trx('tickets').forUpdate().first('*').where({ id: input.id });
    if (existing) return updateTicket(trx, existing, columns, caller);
    const created = await createTicket(trx, input, columns, caller);
    // Another request created the same Id between our select and insert: this one is an edit.
    if (!created)
      return updateTicket(
        trx,
        await trx('tickets').forUpdate().first('*').where({ id: input.id }),
        columns,
        caller,
      );
    return created;
  });
}

/**
 * What a save of `input` would be, for its permission (docs/protocol.md §5): 'create' for an Id
 * not stored yet, 'unchanged' for a stored ticket that the save would leave exactly as it is (an
 * identical retry of a create: TICKET_CREATE will do), else 'update'.
 */
export async function saveKind(
  db: Knex,
  input: TicketInput,
): Promise<'create' | 'update' | 'unchanged'> {
  const existing = await db('tickets')
    .first('*')
    .where({ id: bareGuid(input.id) });
  if (!existing) return 'create';
  return changedColumns(existing, ticketColumns(input)).length ? 'update' : 'unchanged';
}

async function createTicket(
  trx: Knex.Transaction,
  input: TicketInput,
  columns: Record<string, unknown>,
  caller: Caller,
) {
  const template = input.templateId
    ? await trx('templates').first('*').where({ id: input.templateId })
    : undefined;
  if (input.templateId && !template)
    throw new NotFound(`Ticket/TemplateId: no template with Id ${input.templateId}`);
  const row: Record<string, unknown> = {
    id: input.id,
    ...columns,
    template_id: input.templateId ?? null,
  };
  if (template) {
    // Fields absent from the request come from the template (docs/protocol.md §7, SaveTicket_V4).
    const fromTemplate: Record<string, unknown> = {
      title: template.title,
      html_description: template.html_description,
      category_id: template.category_id,
      priority: template.priority,
      // A template in state Closed does not close the ticket: the caller sends CloseTicket_V1 next.
      state: template.state === 'Closed' ? null : template.state,
      assignee_id: template.assignee_id,
    };
    for (const [column, value] of Object.entries(fromTemplate))
      if (row[column] === undefined && value !== null) row[column] = value;
  }
  if (row.title === undefined || row.title === '')
    throw new RuleViolation('Ticket/Title: missing; a new ticket needs Id and Title');
  const inserted = await insertIfAbsent(trx, row);
  if (inserted && template) await copyTemplateEntries(trx, template.id, input.id, caller);
  return inserted;
}

// Column types, for the parameters of insertIfAbsent's SELECT (they have no target type there).
const COLUMN_TYPES: Record<string, string> = {
  id: 'uuid',
  title: 'text',
  html_description: 'text',
  category_id: 'uuid',
  priority: 'smallint',
  state: 'text',
  contact_id: 'uuid',
  assignee_id: 'uuid',
  keywords: 'text',
  impact_id: 'uuid',
  due_date: 'timestamptz',
  source: 'text',
  template_id: 'uuid',
};

/**
 * Inserts the ticket unless its Id exists; undefined when it does. INSERT … SELECT … WHERE NOT
 * EXISTS draws a ticket number only for a row really inserted, so edits leave no gaps; ON
 * CONFLICT covers the race of two creates of one Id. Absent priority and state get the defaults.
 * `references` are checked in the same statement: when one is missing nothing is inserted and
 * its NotFound (30) is thrown.
 */
async function insertIfAbsent(
  conn: Knex | Knex.Transaction,
  row: Record<string, unknown>,
  references: Reference[] = [],
): Promise<{ id: string; number: number } | undefined> {
  const { priority = null, state = null, ...rest } = row;
  const cols = Object.keys(COLUMN_TYPES).filter(
    (c) => rest[c] !== undefined && c !== 'priority' && c !== 'state',
  );
  const n = cols.length;
  const refs = referenceCheck(references, n + 3);
  // One prepared statement per set of columns and of references: the name says which (a bit per column).
  const mask = Object.keys(COLUMN_TYPES).reduce(
    (m, c, i) => (cols.includes(c) ? m | (1 << i) : m),
    0,
  );
  const [result] = await preparedQuery<Record<string, any>>(
    conn,
    `insert_ticket_${mask}_${refs.name}`,
    `with refs as (select ${['true as ok', ...refs.columns].join(', ')}),
     inserted as (
       insert into tickets (${cols.join(', ')}, priority, state)
       select ${cols.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}`).join(', ')}, coalesce($${n + 1}::smallint, (select default_priority from settings)), coalesce($${n + 2}::text, 'New')
       from refs
       where ${refs.allFound} and not exists (select 1 from tickets where id = $1::uuid)
       on conflict (id) do nothing
       returning id, number)
     select refs.*, inserted.id, inserted.number from refs left join inserted on true`,
    [...cols.map((c) => rest[c]), priority, state, ...refs.values],
  );
  refs.verify(result);
  return result.id ? { id: result.id, number: result.number } : undefined;
}

/** The template's working times and costs become the ticket's own (docs/protocol.md §7, SaveTicket_V4). */
async function copyTemplateEntries(
  trx: Knex.Transaction,
  templateId: string,
  ticketId: string,
  caller: Caller,
): Promise<void> {
  const times = await trx('template_working_times')
    .select('*')
    .where({ template_id: templateId })
    .orderBy('id');
  const now = Date.now();
  for (const t of times) {
    await trx('ticket_working_times').insert({
      id: randomUUID(),
      ticket_id: ticketId,
      executor_id: t.executor_id ?? caller.id,
      start_date: new Date(now - t.minutes * 60000),
      end_date: new Date(now),
      duration_minutes: t.minutes,
      description: t.description,
    });
  }
  const costs = await trx('template_costs')
    .select('*')
    .where({ template_id: templateId })
    .orderBy('id');
  for (const c of costs) {
    await trx('ticket_costs').insert({
      id: randomUUID(),
      ticket_id: ticketId,
      unit_price: c.unit_price,
      amount: c.amount,
      category: c.category,
      description: c.description,
      creator_id: caller.id,
    });
  }
}

async function updateTicket(
  trx: Knex.Transaction,
  existing: Record<string, any>,
  columns: Record<string, unknown>,
  caller: Caller,
) {
  // A merged ticket is read-only, an identical save included (ticket-locks.ts).
  if (existing.master_ticket_id) await lockWritableTicket(trx, existing.id, 'Ticket/Id');
  if (existing.state === 'Closed' && columns.state !== undefined) {
    throw new RuleViolation(
      'Ticket/State: the ticket is closed; reopen it with ReopenTicket_V1 before changing its state',
    );
  }
  // Title is mandatory, not an optional string that an empty element may clear (docs/protocol.md §2, §7).
  if (columns.title === '')
    throw new RuleViolation(
      'Ticket/Title: a ticket needs a title; send a new Title or leave the element out',
    );
  // A repeated identical save changes nothing, not even LastModified (safe retries).
  const changed = changedColumns(existing, columns);
  if (changed.length && !caller.permissions.has('TICKET_UPDATE')) {
    // Decided before the ticket was locked (saveKind), and it may have changed since: without
    // TICKET_UPDATE, only a save that changes nothing (a create's retry) goes through.
    throw new PermissionDenied(
      `Ticket/Id: ticket ${existing.number} exists and this save would change it, which needs the permission TICKET_UPDATE that user ${caller.name} does not have; nothing was changed`,
    );
  }
  if (changed.length) {
    await trx('tickets')
      .update({ ...Object.fromEntries(changed), last_modified: trx.fn.now() })
      .where({ id: existing.id });
  }
  return { id: existing.id as string, number: existing.number as number };
}

/** The columns of `columns` whose value differs from the stored row's. */
function changedColumns(
  existing: Record<string, any>,
  columns: Record<string, unknown>,
): [string, unknown][] {
  return Object.entries(columns).filter(([column, value]) => !sameValue(existing[column], value));
}

function sameValue(stored: unknown, next: unknown): boolean {
  if (stored instanceof Date || next instanceof Date)
    return stored instanceof Date && next instanceof Date && stored.getTime() === next.getTime();
  if (typeof next === 'string' && typeof stored === 'string' && /^\{[0-9A-F-]{36}\}$/.test(next))
    return stored === next.slice(1, -1).toLowerCase();
  return (stored ?? null) === (next ?? null);
}

const SELECT_TICKET = `
  select t.*, a.name as a_name, a.description as a_description, a.email as a_email, a.user_type as a_user_type,
         a.roles as a_roles, a.is_group as a_is_group,
         (select coalesce(sum(w.duration_minutes), 0) from ticket_working_times w where w.ticket_id = t.id)::int as total_working_time,
         (select coalesce(sum(c.total_price), 0) from ticket_costs c where c.ticket_id = t.id) as total_costs
  from tickets t left join assignees a on a.id = t.assignee_id`;

export async function getTicket(db: Knex, id: string): Promise<Ticket> {
  const rows = await preparedQuery<Record<string, any>>(
    db,
    'get_ticket',
    `${SELECT_TICKET} where t.id = $1`,
    [id],
  );
  if (!rows.length) throw new NotFound(`TicketId: no ticket with Id ${id}`);
  return toTicket(rows[0]);
}

/**
 * Many tickets in one query (GetTickets_V1, docs/protocol.md §9): the found ones in the order asked, each
 * once (a repeated Id adds nothing), and the asked Ids that name no ticket, each once.
 */
export async function findTickets(
  db: Knex,
  ids: string[],
): Promise<{ found: Ticket[]; missing: string[] }> {
  const wanted = [...new Set(ids.map(bareGuid))];
  if (!wanted.length) return { found: [], missing: [] };
  const rows = await preparedQuery<Record<string, any>>(
    db,
    'get_tickets',
    `${SELECT_TICKET} where t.id = any($1::uuid[])`,
    [wanted],
  );
  const byId = new Map(rows.map((r) => [r.id as string, r]));
  return {
    found: wanted.filter((id) => byId.has(id)).map((id) => toTicket(byId.get(id)!)),
    missing: wanted.filter((id) => !byId.has(id)),
  };
}

function toTicket(r: Record<string, any>): Ticket {
  return {
    id: r.id,
    number: r.number,
    title: r.title,
    htmlDescription: r.html_description,
    categoryId: r.category_id,
    priority: r.priority,
    state: r.state,
    contactId: r.contact_id,
    assignee: r.assignee_id
      ? {
          id: r.assignee_id,
          name: r.a_name,
          description: r.a_description,
          email: r.a_email,
          userType: r.a_user_type,
          roles: r.a_roles,
          isGroup: r.a_is_group,
        }
      : null,
    keywords: r.keywords,
    impactId: r.impact_id,
    dueDate: r.due_date,
    source: r.source,
    templateId: r.template_id,
    resolutionId: r.resolution_id,
    closedDate: r.closed_date,
    totalWorkingTime: r.total_working_time,
    totalCosts: r.total_costs,
    masterTicketId: r.master_ticket_id,
    creationDate: r.creation_date,
    lastModified: r.last_modified,
  };
}
