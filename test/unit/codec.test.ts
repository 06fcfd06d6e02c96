// Lists become arrays because the schema says so, never because of how many items came
//; values follow docs/protocol.md §2.
import { decode, normalize } from '../../src/protocol/codec';
import { readXml } from '../../src/protocol/xml-reader';
import { describeErrors } from '../../src/validation/validator';
import { type FieldError, ValidationFailed } from '../../src/vocabulary/errors';
import { requestSchema } from '../support/schemas';

function read(key: string, payloadXml: string) {
  const command = requestSchema(key);
  const errors: FieldError[] = [];
  const raw = decode(readXml(payloadXml), command.request, '', errors);
  const valid = command.validate(raw);
  return { raw, errors, valid, value: normalize(raw, command.request, '', errors) as any };
}

describe('lists', () => {
  test.each([
    ['no items', '<TDeleteTicketCostsRequest_V1><CostIds/></TDeleteTicketCostsRequest_V1>', 0],
    [
      'one item',
      '<TDeleteTicketCostsRequest_V1><CostIds><string>{59387FFD-B171-47C5-B735-041FA132CA39}</string></CostIds></TDeleteTicketCostsRequest_V1>',
      1,
    ],
    [
      'two items',
      '<TDeleteTicketCostsRequest_V1><CostIds><string>59387ffd-b171-47c5-b735-041fa132ca39</string><string>{59387FFD-B171-47C5-B735-041FA132CA3A}</string></CostIds></TDeleteTicketCostsRequest_V1>',
      2,
    ],
  ])('%s is an array', (_n, xml, count) => {
    const { value, valid, errors } = read('DeleteTicketCosts_V1', xml);
    expect(errors).toEqual([]);
    expect(valid).toBe(true);
    expect(Array.isArray(value.CostIds)).toBe(true);
    expect(value.CostIds).toHaveLength(count);
  });

  test('one object item is an array of one object', () => {
    const { value } = read(
      'SaveTicketCosts_V1',
      '<TSaveTicketCostsRequest_V1><Costs><TTicketCost_V1><Id>{59387FFD-B171-47C5-B735-041FA132CA39}</Id></TTicketCost_V1></Costs></TSaveTicketCostsRequest_V1>',
    );
    expect(value.Costs).toEqual([{ Id: '{59387FFD-B171-47C5-B735-041FA132CA39}' }]);
  });

  test('a wrong item element is reported, not guessed', () => {
    const { errors } = read(
      'DeleteTicketCosts_V1',
      '<TDeleteTicketCostsRequest_V1><CostIds><guid>x</guid></CostIds></TDeleteTicketCostsRequest_V1>',
    );
    expect(errors).toEqual([
      { path: 'CostIds/guid', message: 'unknown element; items of this list are <string>' },
    ]);
  });
});

describe('values', () => {
  const ticket = (fields: string) =>
    read(
      'SaveTicket_V2',
      `<TSaveTicketRequest_V2><Ticket><Id>59387ffd-b171-47c5-b735-041fa132ca39</Id>${fields}</Ticket></TSaveTicketRequest_V2>`,
    );

  test('GUIDs are accepted in any case without braces and become upper case in braces', () => {
    expect(ticket('').value.Ticket.Id).toBe('{59387FFD-B171-47C5-B735-041FA132CA39}');
  });

  test('dates: zone or not, milliseconds or not, the Delphi zero date is no date', () => {
    expect(ticket('<DueDate>2025-06-27T11:16:00</DueDate>').value.Ticket.DueDate).toEqual(
      new Date('2025-06-27T11:16:00.000Z'),
    );
    expect(ticket('<DueDate>2025-06-27T13:16:00.5+02:00</DueDate>').value.Ticket.DueDate).toEqual(
      new Date('2025-06-27T11:16:00.500Z'),
    );
    expect(ticket('<DueDate>1899-12-30T00:00:00.000Z</DueDate>').value.Ticket.DueDate).toBeNull();
    expect(ticket('<DueDate/>').value.Ticket.DueDate).toBeNull();
    const feb30 = ticket('<DueDate>2025-02-30T00:00:00Z</DueDate>');
    expect(feb30.errors[0]).toEqual({ path: 'Ticket/DueDate', message: 'not a valid date' });
  });

  test('integers and booleans are typed; an empty integer is invalid', () => {
    expect(ticket('<Priority> 4 </Priority>').value.Ticket.Priority).toBe(4);
    expect(ticket('<Priority></Priority>').valid).toBe(false);
    expect(
      read(
        'CloseTicket_V1',
        '<TCloseTicketRequest_V1><TicketId>59387ffd-b171-47c5-b735-041fa132ca39</TicketId><Assignee><Id/><AssigneeIsGroup>1</AssigneeIsGroup></Assignee></TCloseTicketRequest_V1>',
      ).value.Assignee.AssigneeIsGroup,
    ).toBe(true);
  });

  test('an empty optional GUID clears (null), an absent one is left alone (undefined)', () => {
    const { value } = ticket('<CategoryId/>');
    expect(value.Ticket.CategoryId).toBeNull();
    expect('ContactId' in value.Ticket).toBe(false);
  });
});

describe('any xs:dateTime', () => {
  const due = (text: string) =>
    read(
      'SaveTicket_V2',
      `<TSaveTicketRequest_V2><Ticket><Id>59387ffd-b171-47c5-b735-041fa132ca39</Id><DueDate>${text}</DueDate></Ticket></TSaveTicketRequest_V2>`,
    );

  test.each([
    ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000Z'],
    ['2025-06-27T24:00:00', '2025-06-28T00:00:00.000Z'],
    ['0099-01-01T00:00:00Z', '0099-01-01T00:00:00.000Z'],
    ['2025-06-27T11:16:00.123456789-14:00', '2025-06-28T01:16:00.123Z'],
  ])('%s is %s', (text, iso) => {
    const { value, valid, errors } = due(text);
    expect({ valid, errors }).toEqual({ valid: true, errors: [] });
    expect((value.Ticket.DueDate as Date).toISOString()).toBe(iso);
  });

  test.each(['2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2025-04-31T00:00:00Z'])(
    '%s does not exist',
    (text) => {
      expect(due(text).errors[0]).toEqual({ path: 'Ticket/DueDate', message: 'not a valid date' });
    },
  );

  test.each([
    '2025-06-27',
    '2025-06-27T25:00:00Z',
    '27.06.2025 11:16',
    '2025-06-27T11:16:00+15:00',
  ])('%s is not a dateTime', (text) => {
    expect(due(text).valid).toBe(false);
  });
});

describe('years 0001..9999 only, also in UTC (docs/protocol.md §2)', () => {
  const due = (text: string) =>
    read(
      'SaveTicket_V4',
      `<TSaveTicketRequest_V4><Ticket><Id>59387ffd-b171-47c5-b735-041fa132ca39</Id><DueDate>${text}</DueDate></Ticket></TSaveTicketRequest_V4>`,
    );
  const pathAndMessage = ({ errors, valid }: ReturnType<typeof due>) => {
    const schema = requestSchema('SaveTicket_V4');
    return valid ? errors : describeErrors(schema.request, schema.validate.errors ?? []);
  };

  test.each([
    '10000-01-01T00:00:00Z',
    '300000-01-01T00:00:00Z',
    '-0044-03-15T12:00:00Z',
    '0000-01-01T00:00:00Z',
    '+2025-06-27T00:00:00Z',
    '02025-06-27T00:00:00Z',
    '999-01-01T00:00:00Z',
  ])('%s is refused by the schema, naming the field', (text) => {
    const result = due(text);
    expect(result.valid).toBe(false);
    expect(pathAndMessage(result)).toEqual([
      {
        path: 'Ticket/DueDate',
        message: expect.stringContaining('not a dateTime with a year 0001..9999'),
      },
    ]);
  });

  test.each([
    '9999-12-31T23:59:59-14:00',
    '9999-12-31T24:00:00Z',
    '9999-12-31T10:00:00.5-14:00',
    '0001-01-01T00:00:00+14:00',
    '0001-01-01T00:00:00.000+00:01',
  ])('%s leaves the years 0001..9999 once converted to UTC', (text) => {
    const result = due(text);
    expect(result.valid).toBe(true);
    expect(result.errors).toEqual([
      { path: 'Ticket/DueDate', message: 'outside the years 0001..9999 once converted to UTC' },
    ]);
  });

  test.each([
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0001-01-01T14:00:00+14:00', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ['9999-12-31T23:59:59+14:00', '9999-12-31T09:59:59.000Z'],
  ])('%s is the edge, %s', (text, iso) => {
    const { value, valid, errors } = due(text);
    expect({ valid, errors }).toEqual({ valid: true, errors: [] });
    expect((value.Ticket.DueDate as Date).toISOString()).toBe(iso);
  });
});

test('a list past its bound is not read further, and a flood of errors is counted, not listed', () => {
  const many = (n: number, item: string) =>
    `<TDeleteTicketCostsRequest_V1><CostIds>${item.repeat(n)}</CostIds></TDeleteTicketCostsRequest_V1>`;
  const tooMany = read(
    'DeleteTicketCosts_V1',
    many(5000, '<string>{59387FFD-B171-47C5-B735-041FA132CA39}</string>'),
  );
  expect(tooMany.raw).toEqual({ CostIds: expect.any(Array) });
  expect((tooMany.raw as any).CostIds).toHaveLength(1000);
  expect(tooMany.errors).toEqual([{ path: 'CostIds', message: 'more than 1000 items' }]);

  const bad = read('DeleteTicketCosts_V1', many(1000, '<string>nope</string>'));
  const message = new ValidationFailed([
    ...bad.errors,
    ...describeErrors(
      requestSchema('DeleteTicketCosts_V1').request,
      requestSchema('DeleteTicketCosts_V1').validate.errors ?? [],
    ),
  ]).message;
  expect(message).toMatch(/^1000 errors: CostIds\/string\[1\]: not a GUID; .*; and 900 more$/);
});
