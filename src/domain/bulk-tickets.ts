// One field on many tickets (docs/protocol.md §9: SetTicketStates_V1, SetTicketPriorities_V1), all or none
// in ONE transaction: the tickets are locked in one statement in id order (ticket-locks.ts), every
// problem of every ticket is collected, and any problem leaves every ticket as it was.
import type { Knex } from 'knex';
import { type FieldError, NotFound, RuleViolation, ValidationFailed } from '../vocabulary/errors';
import { bareGuid } from '../vocabulary/values';
import { itemPath } from './links';
import { lockTickets, mergedProblem } from './ticket-locks';
import type { TicketState } from './tickets';

export type TicketChange = { state: TicketState } | { priority: number };

interface Problem extends FieldError {
  notFound?: boolean;
}

/** 35 with FirstErrorMsg, the first ticket (in request order) that stopped the change. */
export class TicketsRuleViolation extends RuleViolation {
  constructor(
    message: string,
    readonly firstErrorMsg: string,
  ) {
    super(message);
  }
}

/** 30 with FirstErrorMsg: the first problem is an unknown ticket (as SaveTicketCosts_V1 does). */
export class TicketsNotFound extends NotFound {
  constructor(
    message: string,
    readonly firstErrorMsg: string,
  ) {
    super(message);
  }
}

/**
 * Sets the state or the priority of every listed ticket, or of none. A repeated Id counts once.
 * LastModified moves only on tickets whose value really changes (as an identical SaveTicket).
 */
export async function setTickets(
  db: Knex,
  ticketIds: string[],
  change: TicketChange,
): Promise<void> {
  // Closing has its own rules (resolution, comment, working time): CloseTicket_V1 (docs/protocol.md §7, §9).
  if ('state' in change && change.state === 'Closed') {
    const message =
      'State: Closed is refused; a ticket is closed with CloseTicket_V1 (one ticket at a time, with its resolution, comment and working time rules)';
    throw new TicketsRuleViolation(`${message}. Nothing was saved`, message);
  }
  if (!ticketIds.length) return;
  const [column, value] =
    'state' in change ? ['state', change.state] : ['priority', change.priority];
  await db.transaction(async (trx) => {
    const tickets = await lockTickets(trx, ticketIds);
    const problems: Problem[] = [];
    const seen = new Set<string>();
    for (const [i, id] of ticketIds.entries()) {
      const bare = bareGuid(id);
      if (seen.has(bare)) continue;
      seen.add(bare);
      const path = itemPath('TicketIds', i);
      const t = tickets.get(bare);
      if (!t) {
        problems.push({ path, message: `no ticket with Id ${id}`, notFound: true });
        continue;
      }
      const merged = mergedProblem(t, path);
      if (merged) {
        problems.push(merged);
        continue;
      }
      // As SaveTicket: a closed ticket changes state only through ReopenTicket_V1.
      if (column === 'state' && t.state === 'Closed') {
        problems.push({
          path,
          message: `ticket ${t.number} is closed; reopen it with ReopenTicket_V1 before changing its state`,
        });
      }
    }
    if (problems.length) throw refusal(problems);
    await trx('tickets')
      .update({ [column]: value, last_modified: trx.fn.now() })
      .whereIn('id', [...tickets.keys()])
      .whereNot(column, value);
  });
}

function refusal(problems: Problem[]): Error {
  const message = `${new ValidationFailed(problems).message}. Nothing was saved`;
  const first = `${problems[0].path}: ${problems[0].message}`;
  return problems[0].notFound
    ? new TicketsNotFound(message, first)
    : new TicketsRuleViolation(message, first);
}
