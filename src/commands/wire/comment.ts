// Wire <-> domain mapping shared by the comment command versions. Each version renders only the
// fields its own schema declares, so one mapping serves TTicketComment_V1 and _V2.
import type { Comment, CommentListItem, CommentSave } from '../../domain/comment-store';

/** TTicketComment_V1/_V2 as a Save receives it; the read-only fields are left out on purpose. */
export interface WireComment {
  Id: string;
  TicketId?: string | null;
  Text?: string;
  HtmlText?: string;
  IsVisibleForWeb?: boolean;
}

export function commentSave(c: WireComment): CommentSave {
  return {
    id: c.Id,
    ticketId: c.TicketId,
    text: c.Text,
    htmlText: c.HtmlText,
    isVisibleForWeb: c.IsVisibleForWeb,
  };
}

export function commentToWire(c: Comment) {
  return {
    Id: c.id,
    TicketId: c.ticketId,
    Text: c.text,
    Creator: c.creator,
    CreationDate: c.creationDate,
    HtmlText: c.htmlText,
    IsVisibleForWeb: c.isVisibleForWeb,
    IsExternal: c.isExternal,
    ExternalMail: c.externalMail,
    ExternalRecipient: c.externalRecipient,
    ExternalCC: c.externalCc,
    Signature: c.signature,
  };
}

export function commentListItemToWire(c: CommentListItem) {
  return {
    Id: c.id,
    TicketId: c.ticketId,
    Creator: c.creator,
    CreationDate: c.creationDate,
    IsExternal: c.isExternal,
    Preview: c.preview,
  };
}
