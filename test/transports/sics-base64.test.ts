// The SICS bus's Base64 (docs/protocol.md §8.2, "Base64"), end to end through POST /Publish to
// the ACMP router: a Body is read as standard Base64 with or without padding and with or without
// RFC 2045 line breaks; anything else is refused with 400 naming the 0-based offset of the first
// bad character, and nothing runs or is queued. Answers are padded Base64 without line breaks.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { request, startTestGateway, type TestGateway } from '../support/gateway';
import { SicsClient } from '../support/sics';

let database: TestDatabase;
let gw: TestGateway;
beforeAll(async () => {
  database = await createTestDatabase();
  gw = await startTestGateway('open', { database });
});
afterAll(async () => {
  await gw.stop();
  await database.close();
});
beforeEach(() => database.reset());

const guid = () => `{${randomUUID().toUpperCase()}}`;
const field = (xml: string, name: string) =>
  new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
/** Padded standard Base64, no line breaks: the only form an answer may take. */
const PADDED_ONE_LINE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const wrap = (text: string, width: number, eol: string) =>
  text.replace(new RegExp(`.{${width}}`, 'g'), `$&${eol}`);

/** A SaveTicket document whose UTF-8 length leaves `rest` bytes over a multiple of 3. */
function saveTicket(id: string, rest: 0 | 1 | 2): string {
  for (let extra = 0; ; extra++) {
    const icql = request(
      'SaveTicket',
      4,
      `<Ticket xsi:type="TTicket_V4"><Id>${id}</Id><Title>Base64 ${'x'.repeat(extra)}</Title><Priority>4</Priority></Ticket>`,
    );
    if (Buffer.byteLength(icql, 'utf8') % 3 === rest) return icql;
  }
}

/** A session with a router Callback and a target answers bound to it. */
async function client(): Promise<SicsClient> {
  const c = await new SicsClient(gw.url).login();
  await c.answerQueue();
  return c;
}

/** Consumes the one answer; checks it is padded one-line Base64 and returns its ICQL. */
async function answer(c: SicsClient): Promise<string> {
  const res = await c.consume();
  expect(res.status).toBe(200);
  expect(res.json.Messages).toHaveLength(1);
  const body: string = res.json.Messages[0].Body;
  expect(body).toMatch(PADDED_ONE_LINE);
  expect(body.length % 4).toBe(0);
  const bytes = Buffer.from(body, 'base64');
  expect(bytes.toString('base64')).toBe(body); // exactly what Buffer writes: padded, canonical
  return bytes.toString('utf8');
}

const tickets = async () => Number((await database.db('tickets').count({ n: '*' }))[0].n);

describe('a Body is read with or without padding and line breaks', () => {
  test.each([
    ['CRLF at 76 columns (MIME), padded', 1, (b: string) => wrap(b, 76, '\r\n')],
    [
      'LF at 76 columns, padded, with a trailing line break',
      2,
      (b: string) => `${wrap(b, 76, '\n')}\n`,
    ],
    ['CRLF at an odd width (13), inside groups', 1, (b: string) => wrap(b, 13, '\r\n')],
    ['unpadded, length 2 mod 4 ("==" dropped)', 1, (b: string) => b.replace(/=+$/, '')],
    ['unpadded, length 3 mod 4 ("=" dropped)', 2, (b: string) => b.replace(/=+$/, '')],
    [
      'unpadded and LF-wrapped at 76 columns, trailing CRLF',
      1,
      (b: string) => `${wrap(b.replace(/=+$/, ''), 76, '\n')}\r\n`,
    ],
  ] as const)('%s: the command runs and its answer is consumed', async (_name, rest, form) => {
    const c = await client();
    const id = guid();
    const icql = saveTicket(id, rest);
    const padded = Buffer.from(icql, 'utf8').toString('base64');
    const body = form(padded);
    expect(body).not.toBe(padded); // the case really differs from the plain form
    const published = await c.publishBody(body);
    expect(published.status).toBe(202);
    expect(published.json.MessageId).toEqual(expect.any(String));
    const xml = await answer(c);
    expect(field(xml, 'ResultCode')).toBe('0');
    expect(await database.db('tickets').first('title')).toEqual({
      title: expect.stringMatching(/^Base64 /),
    });
    expect(await tickets()).toBe(1);
  });

  test('an empty Body is Base64 of nothing: not ICQL, answered with the Error envelope (35)', async () => {
    const c = await client();
    expect((await c.publishBody('')).status).toBe(202);
    expect(field(await answer(c), 'ResultCode')).toBe('35');
  });
});

describe('anything else is refused at Publish with 400 naming the 0-based offset, and nothing is queued', () => {
  test.each([
    ['a URL-safe "-"', (b: string) => `${b.slice(0, 40)}-${b.slice(41)}`, 40, /URL-safe/],
    ['a space', (b: string) => `${b.slice(0, 10)} ${b.slice(10)}`, 10, /a space/],
    [
      'a tab after the first CRLF-wrapped line',
      (b: string) => `${b.slice(0, 76)}\r\n\t${b.slice(76)}`,
      78,
      /a tab/,
    ],
    [
      'two Base64 texts joined (padding in the middle)',
      (b: string) => `${b}${b}`,
      -1, // the first character after the first text's padding
      /follows the "=" padding/,
    ],
    [
      'a last group of a single character',
      (b: string) => `${b.slice(0, -4)}\nQ`, // whole groups, then one more character
      -2, // the "Q"
      /single character/,
    ],
  ] as const)('%s', async (_name, form, where, reason) => {
    const c = await client();
    const padded = Buffer.from(saveTicket(guid(), 1), 'utf8').toString('base64'); // ends in "=="
    const body = form(padded);
    const offset = where === -1 ? padded.length : where === -2 ? body.length - 1 : where;
    const res = await c.publishBody(body);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({ ErrorCode: 35, Error: expect.stringMatching(reason) });
    expect(res.json.Error).toContain(`offset ${offset} (0-based)`);
    expect(res.json.Error).toMatch(/^Body is not Base64/);
    // Nothing ran and nothing was queued: no ticket, no answer.
    expect(await tickets()).toBe(0);
    expect((await c.consume('answers', { WaitForMessage: false })).json.Messages).toEqual([]);
  });
});
