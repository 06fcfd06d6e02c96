// The ICQL documents the benchmark sends, written the way legacy clients send them.
import { randomUUID } from 'node:crypto';
import { requestEnvelope as envelope } from '../src/tools/request-envelope';

// Demo seed ids (fixtures/seed/demo.json): the ticket refers to real reference data.
const CATEGORY_PRINTER = '{30000000-0000-4000-8000-000000000002}';
const CONTACT = '{60000000-0000-4000-8000-000000000001}';
const GROUP_FIRST_LEVEL = '{20000000-0000-4000-8000-000000000001}';
const IMPACT_MEDIUM = '{50000000-0000-4000-8000-000000000002}';

export function newGuid(): string {
  return `{${randomUUID().toUpperCase()}}`;
}

// About 1 KB of ticket: escaped HTML description, references, keywords, a due date.
const DESCRIPTION =
  '&lt;p&gt;Since this morning the printer on floor 3 prints blank pages. Restarting the device did not help, ' +
  'the error comes back after a few pages. Several colleagues in the same department are affected.&lt;/p&gt;' +
  '&lt;p&gt;The event log shows repeated warnings from the driver. A workaround is to print on floor 2 until ' +
  'the device is repaired. Please check whether it is still covered by the warranty.&lt;/p&gt;';

/** SaveTicket_V4 creating the ticket `id`. */
export function saveTicketRequest(id: string): string {
  return envelope(
    'SaveTicket',
    4,
    `        <Ticket xsi:type="TTicket_V4">
          <Id>${id}</Id>
          <Title>Printer on floor 3 prints blank pages</Title>
          <HtmlDescription>${DESCRIPTION}</HtmlDescription>
          <CategoryId>${CATEGORY_PRINTER}</CategoryId>
          <Priority>4</Priority>
          <State>Open</State>
          <ContactId>${CONTACT}</ContactId>
          <Assignee xsi:type="TAssignee_V1">
            <Id>${GROUP_FIRST_LEVEL}</Id>
            <AssigneeIsGroup>true</AssigneeIsGroup>
          </Assignee>
          <Keywords>printer, floor 3, blank pages</Keywords>
          <ImpactId>${IMPACT_MEDIUM}</ImpactId>
          <DueDate>2030-06-27T11:16:00.000Z</DueDate>
          <Source>Api</Source>
        </Ticket>`,
  );
}

export function getTicketRequest(id: string): string {
  return envelope('GetTicket', 5, `        <TicketId>${id}</TicketId>`);
}

export function ticketListRequest(maxCount: number): string {
  return envelope('GetTicketList', 1, `        <MaxCount>${maxCount}</MaxCount>`);
}

export function ticketQueryV1Request(queryId: string): string {
  return envelope('GetTicketListByQuery', 1, `        <QueryId>${queryId}</QueryId>`);
}

export interface QueryV2 {
  searchText: string;
  states: string[];
  offset: number;
  limit: number;
}

export function ticketQueryV2Request(q: QueryV2): string {
  return envelope(
    'GetTicketListByQuery',
    2,
    `        <SearchText>${q.searchText}</SearchText>
        <States>
${q.states.map((s) => `          <string>${s}</string>`).join('\n')}
        </States>
        <Offset>${q.offset}</Offset>
        <Limit>${q.limit}</Limit>
        <OrderBy>LastModified</OrderBy>
        <Descending>true</Descending>`,
  );
}
