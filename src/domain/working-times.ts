// Ticket working times, version-free.
import type { Knex } from 'knex';
import { type FieldError, NotFound, RuleViolation, ValidationFailed } from '../vocabulary/errors';
import { bareGuid, sameId } from '../vocabulary/values';
import { deleteAllOrNone } from './id-lists';
import { getSettings, requireAssignee, requireExists } from './references';
import { lockEntries, refuseIfMerged, refuseOtherTicket } from './ticket-locks';

export interface NewWorkingTime {
  id: string;
  ticketId: string;
  executorId: string;
  startDate: Date;
  endDate: Date;
  description?: string;
}

/** The longest storable Duration: its column is a PostgreSQL integer (about 4083 years). */
export const MAX_DURATION_MINUTES = 2147483647;

/** The EndDate problem of a working time too long to store, refused with 35 before any SQL. */
function durationError(start: Date, end: Date, field: string): FieldError | undefined {
  const minutes = durationMinutes(start, end);
  if (minutes <= MAX_DURATION_MINUTES) return undefined;
  return {
    path: `${field}/EndDate`,
    message: `the working time would last ${minutes} minutes; at most ${MAX_DURATION_MINUTES} minutes (about 4000 years) after StartDate`,
  };
}

/** Whole minutes between start and end (docs/protocol.md §7: Duration is computed). */
export function durationMinutes(start: Date, end: Date): number {
  return Math.round((end.getTime() - start.getTime()) / 60000);
}

/** Adds a working time; false when the identical entry is already stored (a retried request). */
export async function addWorkingTime(
  trx: Knex.Transaction | Knex,
  w: NewWorkingTime,
  field = 'WorkingTime',
): Promise<boolean> {
  if (w.startDate.getTime() >= w.endDate.getTime())
    throw new RuleViolation(`${field}/StartDate: must be before EndDate`);
  const tooLong = durationError(w.startDate, w.endDate, field);
  if (tooLong) throw new ValidationFailed([tooLong]);
  await requireAssignee(trx, w.executorId, false, `${field}/Executor`);
  // Conflict-safe insert, then decide (see addComment).
  const [inserted] = await trx('ticket_working_times')
    .insert({
      id: w.id,
      ticket_id: w.ticketId,
      executor_id: w.executorId,
      start_date: w.startDate,
      end_date: w.endDate,
      duration_minutes: durationMinutes(w.startDate, w.endDate),
      description: w.description ?? '',
    })
    .onConflict('id')
    .ignore()
    .returning('id');
  if (inserted) return true;
  const existing = await trx('ticket_working_times').first('*').where({ id: w.id });
  const same =
    existing &&
    sameId(existing.ticket_id, w.ticketId) &&
    sameId(existing.executor_id, w.executorId) &&
    existing.start_date.getTime() === w.startDate.getTime() &&
    existing.end_date.getTime() === w.endDate.getTime();
  if (same) return false;
  throw new RuleViolation(`${field}/Id: a different working time with Id ${w.id} already exists`);
}

/** SaveTicketWorkingTime: undefined leaves a stored value unchanged, null clears it (docs/protocol.md §2). */
export interface WorkingTimeSave {
  id: string;
  ticketId?: string | null;
  executorId?: string | null;
  startDate?: Date | null;
  endDate?: Date | null;
  description?: string;
}

export interface WorkingTime {
  id: string;
  ticketId: string;
  executorId: string | null;
  startDate: Date;
  endDate: Date;
  duration: number;
  description: string;
}

/**
 * Creates a working time, or edits the one with this Id (partial update). Refused with 35 while
 * working times are disabled (docs/protocol.md §7). Duration is always computed; the rule checks (35) come
 * before the lookups of the ticket and the executor (30), and nothing is written on any failure.
 */
export async function saveWorkingTime(
  db: Knex,
  w: WorkingTimeSave,
  field = 'WorkingTime',
): Promise<string> {
  if (!(await getSettings(db)).workingTimesEnabled) {
    throw new RuleViolation(
      `${field}: working times are disabled in the helpdesk settings (WorkingTimesEnabled is false); nothing was saved`,
    );
  }
  return db.transaction(async (trx) => {
    const { tickets, entries } = await lockEntries(
      trx,
      'ticket_working_times',
      [w.id],
      [w.ticketId],
    );
    const existing = entries.get(bareGuid(w.id));
    if (existing)
      refuseOtherTicket('working time', w.id, existing.ticket_id, w.ticketId, `${field}/TicketId`);
    const merged = mergeWorkingTime(existing, w);
    checkWorkingTime(merged, !existing, field);
    const ticket = tickets.get(bareGuid(merged.ticketId!));
    if (!ticket) throw new NotFound(`${field}/TicketId: no ticket with Id ${merged.ticketId}`);
    refuseIfMerged(ticket, `${field}/TicketId`);
    await requireAssignee(trx, merged.executorId, false, `${field}/Executor`);
    const row = {
      ticket_id: merged.ticketId,
      executor_id: merged.executorId,
      start_date: merged.startDate,
      end_date: merged.endDate,
      duration_minutes: durationMinutes(merged.startDate!, merged.endDate!),
      description: merged.description,
    };
    if (!existing) {
      const [inserted] = await trx('ticket_working_times')
        .insert({ id: w.id, ...row })
        .onConflict('id')
        .ignore()
        .returning('id');
      if (inserted) return w.id;
      // Another request created this Id meanwhile, on another ticket (this one is locked).
      const winner = await trx('ticket_working_times').first('ticket_id').where({ id: w.id });
      if (winner)
        refuseOtherTicket('working time', w.id, winner.ticket_id, merged.ticketId, `${field}/Id`);
    }
    await trx('ticket_working_times').update(row).where({ id: w.id });
    return w.id;
  });
}

type Merged = Required<Omit<WorkingTimeSave, 'id'>>;

function mergeWorkingTime(existing: Record<string, any> | undefined, w: WorkingTimeSave): Merged {
  const pick = <T>(sent: T | undefined, stored: T): T => (sent !== undefined ? sent : stored);
  return {
    ticketId: pick(w.ticketId, existing?.ticket_id ?? null),
    executorId: pick(w.executorId, existing?.executor_id ?? null),
    startDate: pick(w.startDate, existing?.start_date ?? null),
    endDate: pick(w.endDate, existing?.end_date ?? null),
    description: pick(w.description, existing?.description ?? ''),
  };
}

/** Every rule of SaveTicketWorkingTime_V1 on the merged values, all reported at once. */
function checkWorkingTime(m: Merged, isNew: boolean, field: string): void {
  const errors: FieldError[] = [];
  const message = isNew
    ? 'missing; required for a new working time'
    : 'cannot be cleared on an existing working time';
  if (!m.ticketId) errors.push({ path: `${field}/TicketId`, message });
  if (!m.executorId) errors.push({ path: `${field}/Executor`, message });
  if (!m.startDate) errors.push({ path: `${field}/StartDate`, message });
  if (!m.endDate) errors.push({ path: `${field}/EndDate`, message });
  if (m.startDate && m.endDate && m.startDate.getTime() >= m.endDate.getTime()) {
    errors.push({
      path: `${field}/StartDate`,
      message: `must be before EndDate (${m.endDate.toISOString()})`,
    });
  }
  const tooLong = m.startDate && m.endDate && durationError(m.startDate, m.endDate, field);
  if (tooLong) errors.push(tooLong);
  if (errors.length) throw new ValidationFailed(errors);
}

/** The working times of a ticket, in the order they were stored; 30 for an unknown ticket. */
export async function listWorkingTimes(db: Knex, ticketId: string): Promise<WorkingTime[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  const rows = await db('ticket_working_times')
    .select('*')
    .where({ ticket_id: ticketId })
    .orderBy('position');
  return rows.map((r) => ({
    id: r.id,
    ticketId: r.ticket_id,
    executorId: r.executor_id,
    startDate: r.start_date,
    endDate: r.end_date,
    duration: r.duration_minutes,
    description: r.description,
  }));
}

/** All or none: one unknown Id answers 30 and nothing is deleted (docs/protocol.md §7). */
export async function deleteWorkingTimes(db: Knex, ids: string[]): Promise<void> {
  await deleteAllOrNone(db, 'ticket_working_times', ids, 'WorkingTimeIds', 'working time');
}
