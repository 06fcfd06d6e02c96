// Wire <-> domain mapping of TTicketWorkingTime_V1, shared by the working time commands.
import type { WorkingTime, WorkingTimeSave } from '../../domain/working-times';

export interface WireWorkingTime {
  Id: string;
  TicketId?: string | null;
  Executor?: string | null;
  StartDate?: Date | null;
  EndDate?: Date | null;
  Duration?: number; // read-only: ignored on save (docs/protocol.md §6)
  Description?: string;
}

export function workingTimeSave(w: WireWorkingTime): WorkingTimeSave {
  return {
    id: w.Id,
    ticketId: w.TicketId,
    executorId: w.Executor,
    startDate: w.StartDate,
    endDate: w.EndDate,
    description: w.Description,
  };
}

export function workingTimeToWire(w: WorkingTime) {
  return {
    Id: w.id,
    TicketId: w.ticketId,
    Executor: w.executorId,
    StartDate: w.startDate,
    EndDate: w.endDate,
    Duration: w.duration,
    Description: w.description,
  };
}
