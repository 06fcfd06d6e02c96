// SaveTicket's permission (docs/protocol.md §5), shared by every version: an Id not stored yet is a create.
import { saveKind } from '../../domain/tickets';
import type { Permission } from '../../identity/caller';
import type { CommandContext } from '../types';
import { ticketInput, type WireTicket } from '../wire/ticket';

export async function createOrUpdate(
  input: { Ticket: WireTicket },
  { db, caller }: CommandContext,
): Promise<Permission> {
  const mayCreate = caller.permissions.has('TICKET_CREATE');
  // A caller who may do both need not be told which it is: no round trip to find out.
  if (mayCreate && caller.permissions.has('TICKET_UPDATE')) return 'TICKET_CREATE';
  const kind = await saveKind(db, ticketInput(input.Ticket));
  // An identical retry of a create changes nothing: TICKET_CREATE will do (the answer to a
  // create may have been lost, docs/protocol.md §3).
  if (kind === 'unchanged') return mayCreate ? 'TICKET_CREATE' : 'TICKET_UPDATE';
  return kind === 'create' ? 'TICKET_CREATE' : 'TICKET_UPDATE';
}
