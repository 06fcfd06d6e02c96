// SaveTicket's permission (spec §5), shared by every version: an Id not stored yet is a create.
import { ticketExists } from '../../domain/tickets';
import type { Permission } from '../../identity/caller';
import type { CommandContext } from '../types';

export async function createOrUpdate(input: { Ticket: { Id: string } }, { db }: CommandContext): Promise<Permission> {
  return (await ticketExists(db, input.Ticket.Id)) ? 'TICKET_UPDATE' : 'TICKET_CREATE';
}
