// TTicketListItem_V1 (docs/protocol.md §6), shared by every ticket list command.
import type { TicketListItem } from '../../domain/ticket-list';

export function ticketListItemToWire(t: TicketListItem) {
  return {
    Id: t.id,
    TicketNumber: t.number,
    Title: t.title,
    State: t.state,
    Priority: t.priority,
    CategoryId: t.categoryId,
    AssigneeId: t.assigneeId,
    AssigneeIsGroup: t.assigneeIsGroup,
    CreationDate: t.creationDate,
    LastModified: t.lastModified,
  };
}

export function ticketListToWire(tickets: TicketListItem[]) {
  return tickets.map(ticketListItemToWire);
}
