// SOAP 1.1 and 1.2 (docs/protocol.md §8.3) driven by node-soap, a client nobody here wrote, from the WSDL alone.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import * as soap from 'soap';
import { passwordHashOf } from '../../src/identity/passwords';
import { startTestGateway, type TestGateway } from '../support/gateway';

const TICKET = '{5A000000-0000-4000-8000-000000000001}';
const BEN = '{10000000-0000-4000-8000-000000000002}';
const SOLVED = '{40000000-0000-4000-8000-000000000001}';
const PRINTER = '{30000000-0000-4000-8000-000000000002}';

type Version = '1.1' | '1.2';
const VERSIONS: Version[] = ['1.1', '1.2'];

/** A node-soap client bound to the WSDL's port of that SOAP version; `call(op, args)` resolves to the response payload. */
async function soapClient(url: string, version: Version) {
  const client = await soap.createClientAsync(`${url}/soap?wsdl`, {
    forceSoap12Headers: version === '1.2',
  });
  const port = (client as any).AcmpService[version === '1.1' ? 'AcmpSoap11' : 'AcmpSoap12'];
  const sent: { lastRequest?: string; lastResponseHeaders?: Record<string, string> } = {};
  return {
    client,
    async call(operation: string, args: unknown): Promise<any> {
      const result = await new Promise<any>((resolve, reject) =>
        port[operation](args, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res))),
      );
      sent.lastRequest = client.lastRequest;
      return result;
    },
    sent,
  };
}

describe('node-soap, open mode', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.reset();
  });
  afterAll(async () => {
    await gw.stop();
  });

  test.each(VERSIONS)(
    'SOAP %s: SaveTicket_V4, SaveTicketCosts_V1, GetTicketCostList_V1, CloseTicket_V1, GetTicket_V5',
    async (version) => {
      const { call, client } = await soapClient(gw.url, version);
      const id = version === '1.1' ? TICKET : TICKET.replace('0001}', '0002}');
      const saved = await call('SaveTicket_V4', {
        Ticket: {
          Id: id,
          Title: `Printer jam over SOAP ${version}`,
          HtmlDescription: '&lt;b&gt;paper&lt;/b&gt; & more',
          CategoryId: PRINTER,
          Priority: 4,
          State: 'Open',
        },
      });
      expect(client.lastRequest).toContain(
        version === '1.1'
          ? 'http://schemas.xmlsoap.org/soap/envelope/'
          : 'http://www.w3.org/2003/05/soap-envelope',
      );
      expect(saved).toMatchObject({ TicketId: id, ResultCode: 0, ResultMessage: 'OK' });
      expect(saved.TicketNumber).toBeGreaterThan(0);

      const costId = (n: number) =>
        `{C0570000-0000-4000-8000-00000000000${n}}`.replace(
          '0000000',
          version === '1.1' ? '0000001' : '0000002',
        );
      const costs = await call('SaveTicketCosts_V1', {
        Costs: {
          TTicketCost_V1: [1, 2].map((n) => ({
            Id: costId(n),
            TicketId: id,
            UnitPrice: '12.50',
            Amount: n,
            Category: 'Parts',
            Description: `roller ${n}`,
          })),
        },
      });
      expect(costs).toMatchObject({ ResultCode: 0, ResultMessage: 'OK' });
      const list = await call('GetTicketCostList_V1', { TicketId: id });
      expect(list.ResultCode).toBe(0);
      expect(
        list.Costs.TTicketCost_V1.map((c: any) => [c.Id, c.Amount, c.TotalPrice, c.Description]),
      ).toEqual([
        [costId(1), 1, '12.50', 'roller 1'],
        [costId(2), 2, '25.00', 'roller 2'],
      ]);

      const closed = await call('CloseTicket_V1', {
        TicketId: id,
        Assignee: { Id: BEN, AssigneeIsGroup: false },
        ResolutionId: SOLVED,
      });
      expect(closed).toEqual({ ResultCode: 0, ResultMessage: 'OK' });

      const read = await call('GetTicket_V5', { TicketId: id });
      expect(read.ResultCode).toBe(0);
      // node-soap types only built-in XSD types: Priority (a restriction of xs:int) stays text.
      expect(read.Ticket).toMatchObject({
        Id: id,
        Title: `Printer jam over SOAP ${version}`,
        HtmlDescription: '&lt;b&gt;paper&lt;/b&gt; & more',
        CategoryId: PRINTER,
        Priority: '4',
        State: 'Closed',
        ResolutionId: SOLVED,
        TotalCosts: '37.50',
      });
      expect(read.Ticket.Assignee).toMatchObject({
        Id: BEN,
        AssigneeIsGroup: false,
        Name: 'Ben Support',
      });
    },
  );
});

describe('node-soap, authentication required', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('required');
    await gw.reset();
  });
  afterAll(async () => {
    await gw.stop();
  });

  const session = (version: Version) =>
    `{5E550000-0000-4000-8000-0000000050${version.replace('.', '')}}`;

  test.each(VERSIONS)(
    'SOAP %s: without a session 7; LoginAcmpUser_V1, then the session in the SessionId SOAP header or in X-SICS-SESSION',
    async (version) => {
      const { call, client } = await soapClient(gw.url, version);
      const id = `{5A000000-0000-4000-8000-0000000007${version.replace('.', '')}}`;
      const save = () => call('SaveTicket_V4', { Ticket: { Id: id, Title: 'Needs a session' } });
      const refused = await save();
      expect(refused.ResultCode).toBe(7);
      expect(refused.ResultMessage).toContain('needs a session');

      const login = await call('LoginAcmpUser_V1', {
        Username: 'Ben Support',
        PasswordHash: passwordHashOf('ben-demo-password'),
        SessionId: session(version),
      });
      expect(login).toMatchObject({ LoginResult: 'Successful', ResultCode: 0 });

      client.addSoapHeader({ SessionId: session(version) }, '', 'tns', 'http://acmp.com/soap');
      expect(await save()).toMatchObject({ TicketId: id, ResultCode: 0 });
      expect(client.lastRequest).toMatch(/<soap:Header>.*SessionId.*<\/soap:Header>/s);

      client.clearSoapHeaders();
      expect((await call('GetTicket_V5', { TicketId: id })).ResultCode).toBe(7);
      client.addHttpHeader('X-SICS-SESSION', session(version));
      const read = await call('GetTicket_V5', { TicketId: id });
      expect(read).toMatchObject({ ResultCode: 0, Ticket: { Id: id, Title: 'Needs a session' } });
    },
  );
});

// zeep comes from Debian's python3-zeep (.ci/run installs it); the python3 on PATH may be another
// one without it. Missing zeep fails this test: it is one of the two clients the spec requires.
const PYTHON = '/usr/bin/python3';
const ZEEP_CLIENT = path.join(__dirname, 'zeep_client.py');

async function zeep(url: string, port: string, ticket: string, session = '-'): Promise<any> {
  try {
    const { stdout } = await promisify(execFile)(
      PYTHON,
      [ZEEP_CLIENT, url, port, ticket, session],
      { timeout: 30000 },
    );
    return JSON.parse(stdout);
  } catch (e) {
    const { stderr, message } = e as { stderr?: string; message: string };
    throw new Error(
      `zeep_client.py failed (is python3-zeep installed for ${PYTHON}?): ${stderr || message}`,
    );
  }
}

describe.each([
  ['1.1', 'AcmpSoap11'],
  ['1.2', 'AcmpSoap12'],
])('zeep, SOAP %s (port %s)', (version, port) => {
  const ticket = `{5A000000-0000-4000-8000-0000000E00${version.replace('.', '')}}`;
  const expectFlow = (out: any, id: string) => {
    expect(out.save).toMatchObject({ TicketId: id, ResultCode: 0, ResultMessage: 'OK' });
    expect(out.costs).toMatchObject({ ResultCode: 0, ResultMessage: 'OK' });
    expect(
      out.costList.Costs.TTicketCost_V1.map((c: any) => [
        c.Amount,
        c.UnitPrice,
        c.TotalPrice,
        c.Description,
      ]),
    ).toEqual([
      [1, '10.25', '10.25', 'part 1'],
      [2, '10.25', '20.50', 'part 2'],
    ]);
    expect(out.close).toEqual({ ResultCode: 0, ResultMessage: 'OK' });
    expect(out.read.ResultCode).toBe(0);
    expect(out.read.Ticket).toMatchObject({
      Id: id,
      Title: `Scanner over zeep ${port}`,
      CategoryId: PRINTER,
      Priority: 2,
      State: 'Closed',
      ResolutionId: SOLVED,
      TotalCosts: '30.75',
    });
    expect(out.read.Ticket.Assignee).toMatchObject({
      Id: BEN,
      AssigneeIsGroup: false,
      Name: 'Ben Support',
    });
    expect(out.sent).toMatchObject(
      version === '1.1'
        ? {
            envelope: 'http://schemas.xmlsoap.org/soap/envelope/',
            contentType: 'text/xml; charset=utf-8',
            soapAction: '"GetTicket_V5"',
          }
        : {
            envelope: 'http://www.w3.org/2003/05/soap-envelope',
            contentType: 'application/soap+xml; charset=utf-8; action="GetTicket_V5"',
          },
    );
  };

  test('open mode: SaveTicket_V4, SaveTicketCosts_V1, GetTicketCostList_V1, CloseTicket_V1, GetTicket_V5', async () => {
    const gw = await startTestGateway();
    try {
      await gw.reset();
      expectFlow(await zeep(gw.url, port, ticket), ticket);
    } finally {
      await gw.stop();
    }
  });

  test('authentication required: 7 without a session, then LoginAcmpUser_V1 and the SessionId SOAP header', async () => {
    const gw = await startTestGateway('required');
    try {
      await gw.reset();
      const out = await zeep(
        gw.url,
        port,
        ticket,
        `{5E550000-0000-4000-8000-0000000060${version.replace('.', '')}}`,
      );
      expect(out.refused.ResultCode).toBe(7);
      expect(out.login).toMatchObject({ LoginResult: 'Successful', ResultCode: 0 });
      expectFlow(out, ticket);
    } finally {
      await gw.stop();
    }
  });
});
