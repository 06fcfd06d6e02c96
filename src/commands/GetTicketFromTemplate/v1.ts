import { ticketFromTemplate } from '../../domain/templates';
import type { CommandDefinition } from '../types';
import { ticketToWire } from '../wire/ticket';

export default {
  name: 'GetTicketFromTemplate',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TemplateId: string }, { db }) {
    const ticket = await ticketFromTemplate(db, input.TemplateId);
    // Not saved yet: TicketNumber 0 and no creation or modification date (null = the zero date).
    const wire = ticketToWire({
      ...ticket,
      number: 0,
      creationDate: new Date(0),
      lastModified: new Date(0),
    });
    return { Ticket: { ...wire, CreationDate: null, LastModified: null } };
  },
} satisfies CommandDefinition;
