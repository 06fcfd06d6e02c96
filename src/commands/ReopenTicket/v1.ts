import { reopenTicket } from '../../domain/lifecycle';
import type { CommandDefinition } from '../types';

export default {
  name: 'ReopenTicket',
  version: 1,
  permission: 'SET_STATUS',
  async handle(
    input: { TicketId: string; Comment?: { Id: string; Text?: string } },
    { db, caller },
  ) {
    await reopenTicket(
      db,
      {
        ticketId: input.TicketId,
        comment: input.Comment && { id: input.Comment.Id, text: input.Comment.Text },
      },
      caller,
    );
    return {};
  },
} satisfies CommandDefinition;
