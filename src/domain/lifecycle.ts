// Closing and reopening tickets (docs/protocol.md §7: CloseTicket_V1, ReopenTicket_V1).
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { type FieldError, RuleViolation, ValidationFailed } from '../vocabulary/errors';
import { sameId } from '../vocabulary/values';
import { addComment } from './comments';
import { getSettings, requireAssignee, requireExists } from './references';
import { lockWritableTicket } from './ticket-locks';
import type { AssigneeRef } from './tickets';
import { addWorkingTime } from './working-times';

export interface CloseInput {
  ticketId: string;
  assignee: AssigneeRef;
  resolutionId?: string | null;
  comment?: { id?: string; text?: string };
  workingTime?: {
    id?: string;
    ticketId?: string | null;
    executorId?: string | null;
    startDate?: Date | null;
    endDate?: Date | null;
    description?: string;
  };
}

/** Every settings-dependent rule of CloseTicket_V1, all reported at once. */
function closeRuleErrors(
  input: CloseInput,
  s: Awaited<ReturnType<typeof getSettings>>,
): FieldError[] {
  const errors: FieldError[] = [];
  const missing = (path: string, why: string) => errors.push({ path, message: `missing; ${why}` });
  if (!input.assignee.id) missing('Assignee/Id', 'closing a ticket needs an assignee');
  if (s.resolutionsEnabled && !input.resolutionId)
    missing('ResolutionId', 'resolutions are enabled');
  if (s.commentRequiredOnClose) {
    const why = 'a comment is required on close';
    if (!input.comment) missing('Comment', why);
    else {
      if (!input.comment.id) missing('Comment/Id', why);
      if (!input.comment.text) missing('Comment/Text', why);
    }
  }
  const w = input.workingTime;
  if (w && !s.workingTimesEnabled)
    errors.push({
      path: 'WorkingTime',
      message: 'working times are disabled in the helpdesk settings',
    });
  const wtRequired = s.workingTimesEnabled && s.workingTimeRequiredOnClose;
  if (wtRequired && !w) missing('WorkingTime', 'a working time is required on close');
  if (w && s.workingTimesEnabled) {
    const why = wtRequired ? 'a working time is required on close' : 'a working time needs it';
    if (!w.id) missing('WorkingTime/Id', why);
    if (!w.ticketId) missing('WorkingTime/TicketId', why);
    if (!w.executorId) missing('WorkingTime/Executor', why);
    if (!w.startDate) missing('WorkingTime/StartDate', why);
    if (!w.endDate) missing('WorkingTime/EndDate', why);
    if (w.ticketId && !sameId(w.ticketId, input.ticketId))
      errors.push({
        path: 'WorkingTime/TicketId',
        message: 'must be the TicketId of the ticket being closed',
      });
    if (w.startDate && w.endDate && w.startDate >= w.endDate)
      errors.push({ path: 'WorkingTime/StartDate', message: 'must be before EndDate' });
  }
  if (input.comment && !s.commentRequiredOnClose && (!input.comment.id || !input.comment.text)) {
    if (!input.comment.id) missing('Comment/Id', 'a close comment needs Id and Text');
    if (!input.comment.text) missing('Comment/Text', 'a close comment needs Id and Text');
  }
  return errors;
}

export async function closeTicket(db: Knex, input: CloseInput, caller: Caller): Promise<void> {
  const settings = await getSettings(db);
  const errors = closeRuleErrors(input, settings);
  if (errors.length) throw new ValidationFailed(errors);
  const w = settings.workingTimesEnabled ? input.workingTime : undefined;

  await requireAssignee(db, input.assignee.id, input.assignee.isGroup, 'Assignee');
  await requireExists(db, 'resolutions', input.resolutionId, 'ResolutionId');

  await db.transaction(async (trx) => {
    // A merged ticket is closed already and read-only: even a retried close is refused, its
    // comment and working time having moved to the surviving ticket (ticket-locks.ts).
    const ticket = await lockWritableTicket(trx, input.ticketId);
    if (ticket.state === 'Closed') {
      const sameClose =
        sameId(ticket.assignee_id, input.assignee.id) &&
        sameId(ticket.resolution_id, input.resolutionId ?? null);
      if (!sameClose)
        throw new RuleViolation(
          `TicketId: ticket ${ticket.number} is already closed with other data; reopen it with ReopenTicket_V1 first`,
        );
    } else {
      await trx('tickets')
        .update({
          state: 'Closed',
          closed_date: trx.fn.now(),
          assignee_id: input.assignee.id,
          resolution_id: input.resolutionId ?? null,
          last_modified: trx.fn.now(),
        })
        .where({ id: input.ticketId });
    }
    // On a retried close these find the identical rows already stored and change nothing;
    // a different comment or working time on an already closed ticket is refused.
    const closedBefore = ticket.state === 'Closed';
    if (input.comment) {
      const added = await addComment(
        trx,
        { id: input.comment.id!, ticketId: input.ticketId, text: input.comment.text! },
        caller,
      );
      if (added && closedBefore)
        throw new RuleViolation(
          `TicketId: ticket ${ticket.number} is already closed; reopen it with ReopenTicket_V1 first`,
        );
    }
    if (w) {
      const added = await addWorkingTime(trx, {
        id: w.id!,
        ticketId: input.ticketId,
        executorId: w.executorId!,
        startDate: w.startDate!,
        endDate: w.endDate!,
        description: w.description,
      });
      if (added && closedBefore)
        throw new RuleViolation(
          `TicketId: ticket ${ticket.number} is already closed; reopen it with ReopenTicket_V1 first`,
        );
    }
  });
}

export interface ReopenInput {
  ticketId: string;
  comment?: { id?: string; text?: string };
}

export async function reopenTicket(db: Knex, input: ReopenInput, caller: Caller): Promise<void> {
  if (input.comment && (!input.comment.id || !input.comment.text)) {
    throw new ValidationFailed([
      ...(!input.comment.id
        ? [{ path: 'Comment/Id', message: 'missing; a comment needs Id and Text' }]
        : []),
      ...(!input.comment.text
        ? [{ path: 'Comment/Text', message: 'missing; a comment needs Id and Text' }]
        : []),
    ]);
  }
  await db.transaction(async (trx) => {
    const ticket = await lockWritableTicket(trx, input.ticketId);
    const added = input.comment
      ? await addComment(
          trx,
          { id: input.comment.id!, ticketId: input.ticketId, text: input.comment.text! },
          caller,
        )
      : true;
    if (ticket.state !== 'Closed') {
      // A retried reopen finds its own comment stored and succeeds without change.
      if (!added) return;
      throw new RuleViolation(
        `TicketId: ticket ${ticket.number} is not closed (state ${ticket.state}); only a closed ticket can be reopened`,
      );
    }
    await trx('tickets')
      .update({
        state: 'Open',
        closed_date: null,
        resolution_id: null,
        last_modified: trx.fn.now(),
      })
      .where({ id: input.ticketId });
  });
}
