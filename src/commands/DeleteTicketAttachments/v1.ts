import type { CommandDefinition } from '../types';
import { deleteAttachments } from '../../domain/attachments';

export default {
  name: 'DeleteTicketAttachments',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { AttachmentIds: string[] }, { db }) {
    await deleteAttachments(db, input.AttachmentIds);
    return {};
  },
} satisfies CommandDefinition;
