import { saveAttachments } from '../../domain/attachments';
import type { CommandDefinition } from '../types';
import { attachmentSave, type WireAttachment } from '../wire/attachment';

// FirstErrorMsg travels on the thrown error (AttachmentsRefused); on success it is left out.
export default {
  name: 'SaveTicketAttachments',
  version: 1,
  permission: 'TICKET_UPDATE',
  async handle(input: { TicketId: string; Attachments: WireAttachment[] }, { db, caller }) {
    await saveAttachments(db, input.TicketId, input.Attachments.map(attachmentSave), caller);
    return {};
  },
} satisfies CommandDefinition;
