// Wire <-> domain mapping for TTicketAttachment_V1.
import type { Attachment, AttachmentSave } from '../../domain/attachments';

/** As a Save receives it; Size, Creator and CreationDate are read-only and left out on purpose. */
export interface WireAttachment {
  Id: string;
  TicketId?: string | null;
  DocumentId?: string | null;
  Name?: string;
  FileName?: string;
  Description?: string;
  IsVisibleForWeb?: boolean;
  Content?: string;
}

export function attachmentSave(a: WireAttachment): AttachmentSave {
  return {
    id: a.Id,
    ticketId: a.TicketId,
    documentId: a.DocumentId,
    name: a.Name,
    fileName: a.FileName,
    description: a.Description,
    isVisibleForWeb: a.IsVisibleForWeb,
    content: a.Content,
  };
}

/** Content appears only when the attachment was read with it (GetTicketAttachment_V1). */
export function attachmentToWire(a: Attachment) {
  return {
    Id: a.id,
    TicketId: a.ticketId,
    DocumentId: a.documentId,
    Name: a.name,
    FileName: a.fileName,
    Description: a.description,
    IsVisibleForWeb: a.isVisibleForWeb,
    Size: a.size,
    Creator: a.creator,
    CreationDate: a.creationDate,
    Content: a.content?.toString('base64'),
  };
}
