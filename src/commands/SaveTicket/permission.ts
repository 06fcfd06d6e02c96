// SaveTicket's permission (docs/protocol.md §5), shared by every version: an Id not stored yet is a create.
import { ticketExists } from '../../domain/tickets';
import type { Permission } from '../../identity/caller';
import type { CommandContext } from '../types';

export async function createOrUpdate(
  input: { Ticket: { Id: string } },
  { db, caller }: CommandContext,
): Promise<Permission> {
  // A caller who may do both need not be told which it is: no round trip to find out.
  if (caller.permissions.has('TICKET_CREATE') && caller.permissions.has('TICKET_UPDATE'))
    return 'TICKET_CREATE';
  return (await ticketExists(db, input.Ticket.Id)) ? 'TICKET_UPDATE' : 'TICKET_CREATE';
}
