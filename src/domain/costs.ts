// Ticket costs, version-free (docs/protocol.md §7: SaveTicketCosts_V1, GetTicketCost_V1, GetTicketCostList_V1,
// DeleteTicketCosts_V1). Money never passes through JS floating point: limits are checked on
// integer cents (BigInt) parsed from the decimal text, and PostgreSQL numeric stores the price
// and computes TotalPrice = UnitPrice × Amount itself (generated column, migration 005).
import type { Knex } from 'knex';
import type { Caller } from '../identity/caller';
import { type FieldError, NotFound, RuleViolation, ValidationFailed } from '../vocabulary/errors';
import { bareGuid, sameId } from '../vocabulary/values';
import { deleteAllOrNone } from './id-lists';
import { requireExists } from './references';

import { lockEntries, mergedProblem, otherTicketProblem } from './ticket-locks';

/** One item of SaveTicketCosts: undefined leaves a stored value unchanged (partial update). */
export interface CostSave {
  id: string;
  ticketId?: string | null;
  unitPrice?: string; // exact decimal text, e.g. "12.50"
  amount?: number;
  category?: string;
  description?: string;
}

export interface Cost {
  id: string;
  ticketId: string;
  unitPrice: string;
  amount: number;
  category: string;
  description: string;
  totalPrice: string;
  creatorId: string | null;
  creationDate: Date;
}

// The documented limits (docs/protocol.md §7, [doc]). The XSD bounds Category/Description more loosely on
// purpose, so that these are reported here with FirstErrorMsg rather than as schema errors.
const MAX_UNIT_PRICE_CENTS = 99999999n; // 999999.99
const MAX_AMOUNT = 999999;
const MAX_CATEGORY = 100;
const MAX_DESCRIPTION = 400;

/** Exact cents of a decimal text ("-12.5" → -1250n); the schema allows at most two decimals. */
export function toCents(decimal: string): bigint {
  const m = /^([+-]?)(\d+)(?:\.(\d{1,2}))?$/.exec(decimal.trim());
  if (!m) throw new Error(`not a decimal with at most two decimals: ${decimal}`);
  const cents = BigInt(m[2]) * 100n + BigInt((m[3] ?? '').padEnd(2, '0'));
  return m[1] === '-' ? -cents : cents;
}

/** Characters as XSD maxLength counts them (code points, not UTF-16 units). */
const length = (s: string) => Array.from(s).length;

interface Problem extends FieldError {
  notFound?: boolean;
}

/** 35 for SaveTicketCosts: carries FirstErrorMsg, the first failing item with its path. */
export class CostsRuleViolation extends RuleViolation {
  constructor(
    message: string,
    readonly firstErrorMsg: string,
  ) {
    super(message);
  }
}

/** 30 for SaveTicketCosts (an unknown ticket), with FirstErrorMsg as above. */
export class CostsNotFound extends NotFound {
  constructor(
    message: string,
    readonly firstErrorMsg: string,
  ) {
    super(message);
  }
}

/** The problems of one item that need no database: limits and (for a new entry) required fields. */
function itemProblems(c: CostSave, at: string, isNew: boolean): Problem[] {
  const out: Problem[] = [];
  if (isNew) {
    const why = 'missing; required for a new cost entry';
    if (!c.ticketId) out.push({ path: `${at}/TicketId`, message: why });
    if (c.unitPrice === undefined) out.push({ path: `${at}/UnitPrice`, message: why });
    if (c.amount === undefined) out.push({ path: `${at}/Amount`, message: why });
  } else if (c.ticketId === null) {
    out.push({
      path: `${at}/TicketId`,
      message: 'cannot be cleared; a cost entry belongs to a ticket',
    });
  }
  if (c.unitPrice !== undefined) {
    const cents = toCents(c.unitPrice);
    if (cents <= 0n || cents > MAX_UNIT_PRICE_CENTS)
      out.push({
        path: `${at}/UnitPrice`,
        message: 'must be greater than 0.00 and at most 999999.99',
      });
  }
  if (c.amount !== undefined && (c.amount <= 0 || c.amount > MAX_AMOUNT)) {
    out.push({ path: `${at}/Amount`, message: `must be greater than 0 and at most ${MAX_AMOUNT}` });
  }
  if (c.category !== undefined && length(c.category) > MAX_CATEGORY) {
    out.push({
      path: `${at}/Category`,
      message: `at most ${MAX_CATEGORY} characters (got ${length(c.category)})`,
    });
  }
  if (c.description !== undefined && length(c.description) > MAX_DESCRIPTION) {
    out.push({
      path: `${at}/Description`,
      message: `at most ${MAX_DESCRIPTION} characters (got ${length(c.description)})`,
    });
  }
  return out;
}

/**
 * Creates or changes every item, or none (one transaction). All problems of all items are
 * collected first; the error's code and FirstErrorMsg are those of the first problem in item
 * order, and ResultMessage lists them all. CreatorId is always the calling user.
 */
export async function saveCosts(
  db: Knex,
  items: CostSave[],
  caller: Caller,
  listPath = 'Costs/TTicketCost_V1',
): Promise<void> {
  if (!items.length) return;
  await db.transaction(async (trx) => {
    // Tickets, then entries, in id order (ticket-locks.ts).
    const { tickets, entries } = await lockEntries(
      trx,
      'ticket_costs',
      items.map((c) => c.id),
      items.map((c) => c.ticketId),
      'id, ticket_id',
    );
    const isStored = (id: string) => entries.has(bareGuid(id));

    const problems: Problem[] = [];
    for (const [i, c] of items.entries()) {
      const at = `${listPath}[${i + 1}]`;
      const first = items.findIndex((other) => sameId(c.id, other.id));
      if (first < i)
        problems.push({
          path: `${at}/Id`,
          message: `the same Id as item ${first + 1}; send each cost entry once`,
        });
      problems.push(...itemProblems(c, at, !isStored(c.id)));
      const stored = entries.get(bareGuid(c.id));
      const moved =
        stored &&
        otherTicketProblem('cost entry', c.id, stored.ticket_id, c.ticketId, `${at}/TicketId`);
      if (moved) {
        problems.push(moved);
        continue;
      }
      const ticketId = stored?.ticket_id ?? c.ticketId;
      const ticket = ticketId && tickets.get(bareGuid(ticketId));
      if (ticketId && !ticket)
        problems.push({
          path: `${at}/TicketId`,
          message: `no ticket with Id ${c.ticketId}`,
          notFound: true,
        });
      const merged = ticket && mergedProblem(ticket, `${at}/TicketId`);
      if (merged) problems.push(merged);
    }
    if (problems.length) throw refusal(problems);

    for (const c of items) {
      const changes: Record<string, unknown> = {};
      if (c.ticketId) changes.ticket_id = c.ticketId;
      if (c.unitPrice !== undefined) changes.unit_price = c.unitPrice; // text into numeric: exact
      if (c.amount !== undefined) changes.amount = c.amount;
      if (c.category !== undefined) changes.category = c.category;
      if (c.description !== undefined) changes.description = c.description;
      if (!isStored(c.id)) {
        const [inserted] = await trx('ticket_costs')
          .insert({ id: c.id, ...changes, creator_id: caller.id })
          .onConflict('id')
          .ignore()
          .returning('id');
        if (inserted) continue;
        // Created meanwhile by a request on another ticket (ours is locked): an entry never moves.
        const winner = await trx('ticket_costs').first('ticket_id').where({ id: c.id });
        if (winner) {
          const at = `${listPath}[${items.indexOf(c) + 1}]/TicketId`;
          throw refusal([
            otherTicketProblem('cost entry', c.id, winner.ticket_id, c.ticketId, at) ?? {
              path: at,
              message: 'was just saved by another request; send the request again',
            },
          ]);
        }
      }
      if (Object.keys(changes).length)
        await trx('ticket_costs').update(changes).where({ id: c.id });
    }
  });
}

function refusal(problems: Problem[]): Error {
  const message = `${new ValidationFailed(problems).message}. Nothing was saved`;
  const first = `${problems[0].path}: ${problems[0].message}`;
  return problems[0].notFound
    ? new CostsNotFound(message, first)
    : new CostsRuleViolation(message, first);
}

function toCost(r: Record<string, any>): Cost {
  return {
    id: r.id,
    ticketId: r.ticket_id,
    unitPrice: r.unit_price,
    amount: r.amount,
    category: r.category,
    description: r.description,
    totalPrice: r.total_price,
    creatorId: r.creator_id,
    creationDate: r.creation_date,
  };
}

export async function getCost(db: Knex, id: string): Promise<Cost> {
  const row = await db('ticket_costs').first('*').where({ id });
  if (!row) throw new NotFound(`CostId: no cost entry with Id ${id}`);
  return toCost(row);
}

/** The costs of a ticket, in the order they were stored; 30 for an unknown ticket. */
export async function listCosts(db: Knex, ticketId: string): Promise<Cost[]> {
  await requireExists(db, 'tickets', ticketId, 'TicketId');
  const rows = await db('ticket_costs')
    .select('*')
    .where({ ticket_id: ticketId })
    .orderBy('position');
  return rows.map(toCost);
}

/** All or none: one unknown Id answers 30 and nothing is deleted (docs/protocol.md §7). */
export async function deleteCosts(db: Knex, ids: string[]): Promise<void> {
  await deleteAllOrNone(db, 'ticket_costs', ids, 'CostIds', 'cost entry');
}
