import { listTickets, type TicketOrder } from '../../domain/ticket-list';
import type { TicketState } from '../../domain/tickets';
import type { CommandDefinition } from '../types';
import { ticketListToWire } from '../wire/ticket-list';

interface Input {
  QueryId?: string | null;
  SearchText?: string;
  States?: TicketState[];
  CategoryId?: string | null;
  AssigneeId?: string | null;
  ModifiedSince?: Date | null;
  Offset?: number;
  Limit?: number; // 1..1000 by the XSD
  OrderBy?: TicketOrder;
  Descending?: boolean;
}

// Absent or empty filters do not filter (an empty <States/> too). Default order: newest first
// (CreationDate, descending); Descending defaults to true for every OrderBy, so a bare
// OrderBy=Priority lists the most urgent first.
export default {
  name: 'GetTicketListByQuery',
  version: 2,
  permission: 'TICKET_READ',
  async handle(input: Input, { db, caller }) {
    const { tickets, totalCount } = await listTickets(
      db,
      {
        queryId: input.QueryId,
        searchText: input.SearchText,
        states: input.States,
        categoryId: input.CategoryId,
        assigneeId: input.AssigneeId,
        modifiedSince: input.ModifiedSince,
      },
      {
        offset: input.Offset ?? 0,
        limit: input.Limit ?? 100,
        orderBy: input.OrderBy ?? 'CreationDate',
        descending: input.Descending ?? true,
      },
      caller,
    );
    return { Tickets: ticketListToWire(tickets), TotalCount: totalCount };
  },
} satisfies CommandDefinition;
