// Ticket working times, version-free.
import type { Knex } from 'knex';
import { RuleViolation } from '../protocol/errors';
import { sameId } from './comments';
import { requireAssignee } from './references';

export interface NewWorkingTime {
  id: string;
  ticketId: string;
  executorId: string;
  startDate: Date;
  endDate: Date;
  description?: string;
}

/** Whole minutes between start and end (spec §7: Duration is computed). */
export function durationMinutes(start: Date, end: Date): number {
  return Math.round((end.getTime() - start.getTime()) / 60000);
}

/** Adds a working time; false when the identical entry is already stored (a retried request). */
export async function addWorkingTime(trx: Knex.Transaction | Knex, w: NewWorkingTime, field = 'WorkingTime'): Promise<boolean> {
  if (w.startDate.getTime() >= w.endDate.getTime()) throw new RuleViolation(`${field}/StartDate: must be before EndDate`);
  await requireAssignee(trx, w.executorId, false, `${field}/Executor`);
  const existing = await trx('ticket_working_times').first('*').where({ id: w.id });
  if (existing) {
    const same = sameId(existing.ticket_id, w.ticketId) && sameId(existing.executor_id, w.executorId) &&
      existing.start_date.getTime() === w.startDate.getTime() && existing.end_date.getTime() === w.endDate.getTime();
    if (same) return false;
    throw new RuleViolation(`${field}/Id: a different working time with Id ${w.id} already exists`);
  }
  await trx('ticket_working_times').insert({
    id: w.id,
    ticket_id: w.ticketId,
    executor_id: w.executorId,
    start_date: w.startDate,
    end_date: w.endDate,
    duration_minutes: durationMinutes(w.startDate, w.endDate),
    description: w.description ?? '',
  });
  return true;
}
