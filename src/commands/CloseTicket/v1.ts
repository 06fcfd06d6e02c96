import { closeTicket } from '../../domain/lifecycle';
import type { CommandDefinition } from '../types';
import { assigneeRef, type WireAssignee } from '../wire/ticket';

interface Input {
  TicketId: string;
  Assignee: WireAssignee;
  ResolutionId?: string | null;
  Comment?: { Id: string; Text?: string }; // its TicketId is ignored (docs/protocol.md §7)
  WorkingTime?: {
    Id: string;
    TicketId?: string | null;
    Executor?: string | null;
    StartDate?: Date | null;
    EndDate?: Date | null;
    Description?: string;
  };
}

export default {
  name: 'CloseTicket',
  version: 1,
  permission: 'SET_STATUS',
  async handle(input: Input, { db, caller }) {
    const w = input.WorkingTime;
    await closeTicket(
      db,
      {
        ticketId: input.TicketId,
        assignee: assigneeRef(input.Assignee)!,
        resolutionId: input.ResolutionId,
        comment: input.Comment && { id: input.Comment.Id, text: input.Comment.Text },
        workingTime: w && {
          id: w.Id,
          ticketId: w.TicketId,
          executorId: w.Executor,
          startDate: w.StartDate,
          endDate: w.EndDate,
          description: w.Description,
        },
      },
      caller,
    );
    return {};
  },
} satisfies CommandDefinition;
