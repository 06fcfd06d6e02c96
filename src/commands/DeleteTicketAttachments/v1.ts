import { deleteAttachments } from '../../domain/attachments';
import type { CommandDefinition } from '../types';

export default {
  name: 'DeleteTicketAttachments',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { AttachmentIds: string[] }, { db }) {
    await deleteAttachments(db, input.AttachmentIds);
    return {};
  },
} satisfies CommandDefinition;
