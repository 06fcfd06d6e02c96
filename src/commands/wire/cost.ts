// Wire <-> domain mapping of TTicketCost_V1, shared by the cost commands.
import type { Cost, CostSave } from '../../domain/costs';

export interface WireCost {
  Id: string;
  TicketId?: string | null;
  UnitPrice?: string;
  Amount?: number;
  Category?: string;
  Description?: string;
  // TotalPrice, CreatorId and CreationDate are read-only: ignored on save (docs/protocol.md §6).
}

export function costSave(c: WireCost): CostSave {
  return {
    id: c.Id,
    ticketId: c.TicketId,
    unitPrice: c.UnitPrice,
    amount: c.Amount,
    category: c.Category,
    description: c.Description,
  };
}

export function costToWire(c: Cost) {
  return {
    Id: c.id,
    TicketId: c.ticketId,
    UnitPrice: c.unitPrice,
    Amount: c.amount,
    Category: c.category,
    Description: c.description,
    TotalPrice: c.totalPrice,
    CreatorId: c.creatorId,
    CreationDate: c.creationDate,
  };
}
