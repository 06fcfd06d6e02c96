// Ticket templates (docs/protocol.md §7: GetTicketTemplateList_V1, GetTicketFromTemplate_V1). Templates are
// reference data from the seed; their working times and costs show only as totals.

import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { NotFound } from '../vocabulary/errors';
import { getSettings } from './references';
import type { Ticket, TicketState } from './tickets';

export interface TicketTemplate {
  id: string;
  name: string;
  title: string;
  htmlDescription: string;
  categoryId: string | null;
  priority: number | null;
  state: TicketState | null;
  assigneeId: string | null;
  totalWorkingTime: number;
  totalCosts: string;
}

const SELECT_TEMPLATE = `
  select t.*,
         (select coalesce(sum(w.minutes), 0) from template_working_times w where w.template_id = t.id)::int as total_working_time,
         (select coalesce(sum(c.unit_price * c.amount), 0) from template_costs c where c.template_id = t.id) as total_costs
  from templates t`;

function toTemplate(r: Record<string, any>): TicketTemplate {
  return {
    id: r.id,
    name: r.name,
    title: r.title,
    htmlDescription: r.html_description,
    categoryId: r.category_id,
    priority: r.priority,
    state: r.state,
    assigneeId: r.assignee_id,
    totalWorkingTime: r.total_working_time,
    totalCosts: r.total_costs,
  };
}

/** By name, then id (names need not be unique). */
export async function listTemplates(db: Knex): Promise<TicketTemplate[]> {
  const { rows } = await db.raw(`${SELECT_TEMPLATE} order by t.name, t.id`);
  return rows.map(toTemplate);
}

/** A ticket that is not saved yet: no number and no dates of its own. */
export type UnsavedTicket = Omit<Ticket, 'number' | 'creationDate' | 'lastModified'>;

/**
 * A new, unsaved ticket filled from the template, as SaveTicket_V4 would create it: a fresh Id
 * the caller can save with, the template's fields, the settings' default priority when the
 * template has none, and a Closed (or missing) template state shown as New (see createTicket in
 * tickets.ts: a template never closes a ticket).
 */
export async function ticketFromTemplate(db: Knex, templateId: string): Promise<UnsavedTicket> {
  const { rows } = await db.raw(`${SELECT_TEMPLATE} where t.id = ?`, [templateId]);
  if (!rows.length) throw new NotFound(`TemplateId: no template with Id ${templateId}`);
  const t = toTemplate(rows[0]);
  const assignee = t.assigneeId
    ? await db('assignees').first('*').where({ id: t.assigneeId })
    : undefined;
  return {
    id: randomUUID(),
    title: t.title,
    htmlDescription: t.htmlDescription,
    categoryId: t.categoryId,
    priority: t.priority ?? (await getSettings(db)).defaultPriority,
    state: !t.state || t.state === 'Closed' ? 'New' : t.state,
    contactId: null,
    assignee: assignee
      ? {
          id: assignee.id,
          name: assignee.name,
          description: assignee.description,
          email: assignee.email,
          userType: assignee.user_type,
          roles: assignee.roles,
          isGroup: assignee.is_group,
        }
      : null,
    keywords: '',
    impactId: null,
    dueDate: null,
    source: 'Unknown',
    templateId: t.id,
    resolutionId: null,
    closedDate: null,
    totalWorkingTime: t.totalWorkingTime,
    totalCosts: t.totalCosts,
    masterTicketId: null,
  };
}
