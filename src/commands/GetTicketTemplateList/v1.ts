import { listTemplates } from '../../domain/templates';
import type { CommandDefinition } from '../types';

export default {
  name: 'GetTicketTemplateList',
  version: 1,
  permission: 'TICKET_READ',
  async handle(_input: object, { db }) {
    const templates = await listTemplates(db);
    return {
      Templates: templates.map((t) => ({
        Id: t.id,
        Name: t.name,
        Title: t.title,
        HtmlDescription: t.htmlDescription,
        CategoryId: t.categoryId,
        // A template may leave priority and state open; such fields are omitted.
        Priority: t.priority ?? undefined,
        State: t.state ?? undefined,
        AssigneeId: t.assigneeId,
        TotalWorkingTime: t.totalWorkingTime,
        TotalCosts: t.totalCosts,
      })),
    };
  },
} satisfies CommandDefinition;
