// Fixture placeholders for values that change from replay to replay (docs/qa.md, "Fixtures"):
// `{{id:<name>}}` fresh GUIDs, `{{int:<name>}}` ticket numbers bound across a case's steps, and the
// recording writing both back.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareResponses } from '../../src/fixtures/compare';
import { findFixtureCases } from '../../src/fixtures/discover';
import { type FreshIds, fillFreshIds, freshPlaceholders } from '../../src/fixtures/fresh-values';

const answer = (inner: string) =>
  `<ICQL><ACMP><A>${inner}<ResultCode>0</ResultCode></A></ACMP></ICQL>`;

test('{{id:<name>}} is one fresh GUID per name in every spelling, and a new one each time a case is read', () => {
  const ids: FreshIds = new Map();
  const text = fillFreshIds(
    '{{id:t}} {{id:t:bare}} {{id:t:lower}} {{id:t:bare-lower}} {{id:u}}',
    ids,
  );
  const [braced, bare, lower, bareLower, other] = text.split(' ');
  expect(braced).toMatch(/^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
  expect([bare, lower, bareLower]).toEqual([
    braced.slice(1, -1),
    braced.toLowerCase(),
    braced.slice(1, -1).toLowerCase(),
  ]);
  expect(other).not.toBe(braced);

  const root = mkdtempSync(path.join(os.tmpdir(), 'acmp-placeholders-'));
  const dir = path.join(root, 'GetTicket_V5', 'case');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'request.xml'), '<TicketId>{{id:ticket-1}}</TicketId>');
  writeFileSync(path.join(dir, 'response.xml'), answer('<Id>{{id:ticket-1}}</Id>'));
  const [first] = findFixtureCases([dir]);
  const [second] = findFixtureCases([dir]);
  const idIn = (xml: string) => /\{[0-9A-F-]{36}\}/.exec(xml)![0];
  expect(idIn(first.steps[0].request)).toBe(first.freshIds.get('ticket-1'));
  expect(idIn(first.steps[0].response!)).toBe(first.freshIds.get('ticket-1'));
  expect(second.freshIds.get('ticket-1')).not.toBe(first.freshIds.get('ticket-1'));
});

test('{{int:<name>}} takes its value at the first match; later steps must repeat it', () => {
  const bindings = new Map<string, string>();
  const expected = answer('<TicketNumber>{{int:ticket-1}}</TicketNumber>');
  expect(
    compareResponses(expected, answer('<TicketNumber>1523</TicketNumber>'), bindings).equal,
  ).toBe(true);
  expect(bindings.get('ticket-1')).toBe('1523');
  expect(
    compareResponses(expected, answer('<TicketNumber>1523</TicketNumber>'), bindings).equal,
  ).toBe(true);
  expect(
    compareResponses(expected, answer('<TicketNumber>1524</TicketNumber>'), bindings).equal,
  ).toBe(false);
  // In a message, too; and without bindings (SOAP/JSON payload checks) it is any integer.
  expect(
    compareResponses(
      answer('<M>ticket {{int:ticket-1}} is merged</M>'),
      answer('<M>ticket 1524 is merged</M>'),
      bindings,
    ).equal,
  ).toBe(false);
  expect(compareResponses(expected, answer('<TicketNumber>7</TicketNumber>')).equal).toBe(true);
  expect(compareResponses(expected, answer('<TicketNumber>x</TicketNumber>')).equal).toBe(false);
});

test("a recording writes the case's fresh ids and their tickets' numbers back as placeholders", () => {
  const ids: FreshIds = new Map();
  fillFreshIds('{{id:ticket-1}}{{id:comment-1}}', ids);
  const t = ids.get('ticket-1')!;
  const numbers = new Map<string, string>();
  const saved = freshPlaceholders(
    answer(`<TicketId>${t}</TicketId>\n<TicketNumber>17</TicketNumber>`),
    ids,
    numbers,
  );
  expect(saved).toBe(
    answer('<TicketId>{{id:ticket-1}}</TicketId>\n<TicketNumber>{{int:ticket-1}}</TicketNumber>'),
  );
  const later = freshPlaceholders(
    answer(
      `<M>${t.slice(1, -1).toLowerCase()}: ticket 17, ticket 170, <TicketNumber>3</TicketNumber> ${ids.get('comment-1')}</M>`,
    ),
    ids,
    numbers,
  );
  expect(later).toBe(
    answer(
      '<M>{{id:ticket-1:bare-lower}}: ticket {{int:ticket-1}}, ticket 170, <TicketNumber>3</TicketNumber> {{id:comment-1}}</M>',
    ),
  );
});
