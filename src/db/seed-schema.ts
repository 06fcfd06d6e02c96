// The seed file format (README "Seed files"): reference data, settings and optional tickets.
// Checked with Ajv so a typo in a seed file is named instead of silently ignored.
import { PERMISSIONS } from '../identity/caller';

const guid = {
  type: 'string',
  pattern: '^\\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\\}?$',
};
const nullableGuid = { anyOf: [guid, { type: 'null' }] };
const text = { type: 'string' };
const date = {
  type: 'string',
  pattern:
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$',
};
const bool = { type: 'boolean' };
const money = { type: 'string', pattern: '^[0-9]{1,6}(\\.[0-9]{1,2})?$' };
const priority = { type: 'integer', minimum: 1, maximum: 5 };
const state = { enum: ['New', 'Open', 'InProgress', 'Waiting', 'Closed'] };

function record(required: string[], properties: Record<string, unknown>) {
  return { type: 'object', required, properties, additionalProperties: false };
}
const list = (items: unknown) => ({ type: 'array', items });

const named = record(['Id', 'Name'], { Id: guid, Name: text });

export const seedSchema = record([], {
  $comment: text,
  Settings: record([], {
    ResolutionsEnabled: bool,
    CommentRequiredOnClose: bool,
    WorkingTimesEnabled: bool,
    WorkingTimeRequiredOnClose: bool,
    MaxAttachmentSizeKb: { type: 'integer', minimum: 1 },
    DefaultPriority: priority,
    ApiUserId: guid,
  }),
  Roles: list(
    record(['Name', 'Permissions'], { Name: text, Permissions: list({ enum: [...PERMISSIONS] }) }),
  ),
  // Password: demo and test seeds only; hashed when loaded, never stored as given.
  Users: list(
    record(['Id', 'Name'], {
      Id: guid,
      Name: text,
      Description: text,
      Email: text,
      UserType: { enum: ['AcmpUser', 'ActiveDirectoryUser'] },
      Roles: list(text),
      Password: { type: 'string', minLength: 1 },
    }),
  ),
  Groups: list(record(['Id', 'Name'], { Id: guid, Name: text, Description: text, Email: text })),
  Categories: list(record(['Id', 'Name'], { Id: guid, Name: text, ParentId: nullableGuid })),
  Resolutions: list(record(['Id', 'Name'], { Id: guid, Name: text, Description: text })),
  Impacts: list(named),
  Contacts: list(record(['Id', 'Name'], { Id: guid, Name: text, Email: text })),
  Assets: list(named),
  Clients: list(named),
  EmailMonitors: list(
    record(['Id', 'Name'], {
      Id: guid,
      Name: text,
      EmailAddress: text,
      Server: text,
      Enabled: bool,
    }),
  ),
  Templates: list(
    record(['Id', 'Name'], {
      Id: guid,
      Name: text,
      Title: text,
      HtmlDescription: text,
      CategoryId: nullableGuid,
      Priority: priority,
      State: state,
      AssigneeId: nullableGuid,
      WorkingTimes: list(
        record(['Id', 'Minutes'], {
          Id: guid,
          ExecutorId: nullableGuid,
          Minutes: { type: 'integer', minimum: 1 },
          Description: text,
        }),
      ),
      Costs: list(
        record(['Id', 'UnitPrice', 'Amount'], {
          Id: guid,
          UnitPrice: money,
          Amount: { type: 'integer', minimum: 1 },
          Category: text,
          Description: text,
        }),
      ),
    }),
  ),
  Tickets: list(
    record(['Id', 'Title'], {
      Id: guid,
      Title: text,
      HtmlDescription: text,
      CategoryId: nullableGuid,
      Priority: priority,
      State: state,
      ContactId: nullableGuid,
      AssigneeId: nullableGuid,
      Keywords: text,
      ImpactId: nullableGuid,
      DueDate: date,
      Source: text,
      ResolutionId: nullableGuid,
      TemplateId: nullableGuid,
      ClosedDate: date,
      CreationDate: date,
      LastModified: date,
      Comments: list(
        record(['Id', 'Text'], {
          Id: guid,
          Text: text,
          HtmlText: text,
          IsVisibleForWeb: bool,
          IsExternal: bool,
          CreatorId: nullableGuid,
          CreationDate: date,
        }),
      ),
      WorkingTimes: list(
        record(['Id', 'StartDate', 'EndDate'], {
          Id: guid,
          ExecutorId: nullableGuid,
          StartDate: date,
          EndDate: date,
          Description: text,
        }),
      ),
      Costs: list(
        record(['Id', 'UnitPrice', 'Amount'], {
          Id: guid,
          UnitPrice: money,
          Amount: { type: 'integer', minimum: 1 },
          Category: text,
          Description: text,
          CreatorId: nullableGuid,
        }),
      ),
      Attachments: list(
        record(['Id', 'DocumentId', 'Name', 'FileName', 'ContentBase64'], {
          Id: guid,
          DocumentId: guid,
          Name: text,
          FileName: text,
          Description: text,
          IsVisibleForWeb: bool,
          ContentBase64: text,
          CreatorId: nullableGuid,
          CreationDate: date,
        }),
      ),
      Reminders: list(
        record(['UserId', 'ReminderDate'], { UserId: guid, ReminderDate: date, Text: text }),
      ),
      AssetIds: list(guid),
      ClientIds: list(guid),
      LinkedTicketIds: list(guid),
      MasterTicketId: nullableGuid,
    }),
  ),
});
