// Wire <-> domain mapping shared by the ticket command versions. Each Get version renders only
// the fields its own schema declares, so one mapping serves TTicket_V1..V5.
import type { Assignee, AssigneeRef, Ticket, TicketInput } from '../../domain/tickets';

export interface WireAssignee {
  Id?: string | null;
  AssigneeIsGroup?: boolean;
}

export interface WireTicket {
  Id: string;
  Title?: string;
  HtmlDescription?: string;
  CategoryId?: string | null;
  Priority?: number;
  State?: TicketInput['state'];
  ContactId?: string | null;
  AssigneeId?: string | null;
  Assignee?: WireAssignee;
  Keywords?: string;
  ImpactId?: string | null;
  DueDate?: Date | null;
  Source?: string;
  TemplateId?: string | null;
}

/** Only Id and AssigneeIsGroup are used on save (docs/protocol.md §6, TAssignee_V1). */
export function assigneeRef(a: WireAssignee | undefined): AssigneeRef | undefined {
  if (!a) return undefined;
  return { id: a.Id ?? null, isGroup: a.AssigneeIsGroup ?? false };
}

export function ticketInput(t: WireTicket): TicketInput {
  // V1/V2 name a user or a group by AssigneeId alone: either kind will do.
  const assignee =
    t.Assignee !== undefined
      ? assigneeRef(t.Assignee)
      : t.AssigneeId !== undefined
        ? { id: t.AssigneeId }
        : undefined;
  return {
    id: t.Id,
    title: t.Title,
    htmlDescription: t.HtmlDescription,
    categoryId: t.CategoryId,
    priority: t.Priority,
    state: t.State,
    contactId: t.ContactId,
    assignee,
    keywords: t.Keywords,
    impactId: t.ImpactId,
    dueDate: t.DueDate,
    source: t.Source,
    templateId: t.TemplateId,
  };
}

/** The empty assignee still shows the type defaults (docs/protocol.md §6, [doc]). */
export function assigneeToWire(a: Assignee | null) {
  if (!a)
    return {
      Id: null,
      Name: '',
      Description: '',
      Email: '',
      UserType: 'AcmpUser',
      Roles: [],
      AssigneeIsGroup: false,
    };
  return {
    Id: a.id,
    Name: a.name,
    Description: a.description,
    Email: a.email,
    UserType: a.userType,
    Roles: a.roles,
    AssigneeIsGroup: a.isGroup,
  };
}

export function ticketToWire(t: Ticket) {
  return {
    Id: t.id,
    TicketNumber: t.number,
    Title: t.title,
    HtmlDescription: t.htmlDescription,
    CategoryId: t.categoryId,
    Priority: t.priority,
    State: t.state,
    ContactId: t.contactId,
    AssigneeId: t.assignee?.id ?? null,
    Assignee: assigneeToWire(t.assignee),
    CreationDate: t.creationDate,
    LastModified: t.lastModified,
    Keywords: t.keywords,
    ImpactId: t.impactId,
    DueDate: t.dueDate,
    Source: t.source,
    TemplateId: t.templateId,
    ResolutionId: t.resolutionId,
    ClosedDate: t.closedDate,
    TotalWorkingTime: t.totalWorkingTime,
    TotalCosts: t.totalCosts,
    MasterTicketId: t.masterTicketId,
  };
}
