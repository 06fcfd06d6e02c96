import { listAttachments } from '../../domain/attachments';
import type { CommandDefinition } from '../types';
import { attachmentToWire } from '../wire/attachment';

// Metadata only: listAttachments never reads the content, so Content is left out.
export default {
  name: 'GetTicketAttachments',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { TicketId: string }, { db }) {
    return { Attachments: (await listAttachments(db, input.TicketId)).map(attachmentToWire) };
  },
} satisfies CommandDefinition;
