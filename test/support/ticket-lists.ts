// Client side of the ticket list commands for flow tests: builds GetTicketListByQuery_V2
// requests from a filter object and reads TTicketListItem_V1 lists out of responses.
import { request } from './gateway';

export type State = 'New' | 'Open' | 'InProgress' | 'Waiting' | 'Closed';
export type Order = 'TicketNumber' | 'CreationDate' | 'LastModified' | 'Priority';
export interface Item {
  id: string;
  number: number;
  state: State;
  priority: number;
  categoryId: string;
  assigneeId: string;
  creationDate: string;
  lastModified: string;
}

export function parseList(body: string): {
  items: Item[];
  totalCount: number | undefined;
  resultCode: number;
  message: string;
} {
  const field = (xml: string, name: string) =>
    new RegExp(`<${name}>([^<]*)</${name}>|<${name}/>`).exec(xml)?.[1] ?? '';
  const items = [
    ...body.matchAll(/<TTicketListItem_V1[^>]*>([\s\S]*?)<\/TTicketListItem_V1>/g),
  ].map(([, x]) => ({
    id: field(x, 'Id'),
    number: Number(field(x, 'TicketNumber')),
    state: field(x, 'State') as State,
    priority: Number(field(x, 'Priority')),
    categoryId: field(x, 'CategoryId'),
    assigneeId: field(x, 'AssigneeId'),
    creationDate: field(x, 'CreationDate'),
    lastModified: field(x, 'LastModified'),
  }));
  const total = /<TotalCount>(\d+)<\/TotalCount>/.exec(body)?.[1];
  return {
    items,
    totalCount: total === undefined ? undefined : Number(total),
    resultCode: Number(field(body, 'ResultCode')),
    message: field(body, 'ResultMessage'),
  };
}

export interface V2 {
  queryId?: string;
  searchText?: string;
  states?: State[];
  categoryId?: string;
  assigneeId?: string;
  modifiedSince?: string;
  offset?: number;
  limit?: number;
  orderBy?: Order;
  descending?: boolean;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

export function listV2Request(f: V2): string {
  const parts = [
    f.queryId && `<QueryId>${f.queryId}</QueryId>`,
    f.searchText !== undefined && `<SearchText>${escapeXml(f.searchText)}</SearchText>`,
    f.states && `<States>${f.states.map((s) => `<string>${s}</string>`).join('')}</States>`,
    f.categoryId && `<CategoryId>${f.categoryId}</CategoryId>`,
    f.assigneeId && `<AssigneeId>${f.assigneeId}</AssigneeId>`,
    f.modifiedSince && `<ModifiedSince>${f.modifiedSince}</ModifiedSince>`,
    f.offset !== undefined && `<Offset>${f.offset}</Offset>`,
    f.limit !== undefined && `<Limit>${f.limit}</Limit>`,
    f.orderBy && `<OrderBy>${f.orderBy}</OrderBy>`,
    f.descending !== undefined && `<Descending>${f.descending}</Descending>`,
  ];
  return request('GetTicketListByQuery', 2, parts.filter(Boolean).join('\n'));
}
