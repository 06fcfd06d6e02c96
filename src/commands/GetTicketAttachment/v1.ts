import { getAttachment } from '../../domain/attachments';
import type { CommandDefinition } from '../types';
import { attachmentToWire } from '../wire/attachment';

export default {
  name: 'GetTicketAttachment',
  version: 1,
  permission: 'TICKET_READ',
  async handle(input: { AttachmentId: string }, { db }) {
    return { Attachment: attachmentToWire(await getAttachment(db, input.AttachmentId)) };
  },
} satisfies CommandDefinition;
