import { findTickets } from '../../domain/tickets';
import { RuleViolation } from '../../vocabulary/errors';
import type { CommandCatalog, CommandDefinition } from '../types';
import { ticketToWire } from '../wire/ticket';

/**
 * The TTicket_V5 fields as the schema declares them (the registry's shape of this command's
 * Tickets items), not a list written here; `required` ones (Id) are always answered.
 */
function ticketFields(registry: CommandCatalog): { all: string[]; always: string[] } {
  const tickets = registry.get('GetTickets', 1)!.response;
  const list = tickets.kind === 'object' ? tickets.fields.get('Tickets') : undefined;
  const item = list?.kind === 'list' ? list.of : undefined;
  if (item?.kind !== 'object')
    throw new Error('GetTickets_V1: Tickets must be a list of TTicket_V5 records');
  return { all: [...item.fields.keys()], always: [...item.required] };
}

/** The fields to answer: all for an empty Select; an unknown name is 35, every one named. */
function selected(registry: CommandCatalog, select: string[]): Set<string> | undefined {
  if (!select.length) return undefined;
  const { all, always } = ticketFields(registry);
  const unknown = select
    .map((name, i) =>
      all.includes(name) ? '' : `Select/string[${i + 1}]: ${name} is not a field of TTicket_V5`,
    )
    .filter(Boolean);
  if (unknown.length)
    throw new RuleViolation(`${unknown.join('; ')}; the fields are ${all.join(', ')} (exact case)`);
  return new Set([...always, ...select]);
}

// SuperOffice GetTickets with $select (docs/protocol.md §9): found tickets in the order asked, unknown Ids
// listed in MissingTicketIds (not an error), unselected fields absent.
export default {
  name: 'GetTickets',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketIds: string[]; Select?: string[] }, { db, registry }) {
    const fields = selected(registry, input.Select ?? []);
    const { found, missing } = await findTickets(db, input.TicketIds);
    const project = (t: Record<string, unknown>) =>
      fields ? Object.fromEntries(Object.entries(t).filter(([k]) => fields.has(k))) : t;
    return { Tickets: found.map((t) => project(ticketToWire(t))), MissingTicketIds: missing };
  },
} satisfies CommandDefinition;
