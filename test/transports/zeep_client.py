"""Python zeep, a SOAP client nobody here wrote, driven from the gateway's WSDL alone (spec §8.3).

Run by test/transports/soap.test.ts with /usr/bin/python3 (the Debian python3-zeep):
    zeep_client.py <base url> <port: AcmpSoap11 | AcmpSoap12> <ticket id> <session id or ->
With a session id it first calls SaveTicket_V4 without a session (expecting 7), logs Ben in
with LoginAcmpUser_V1 on that session and sends it in the SessionId SOAP header from then on.
Prints the answers as JSON; the test checks the values.
"""
import hashlib
import json
import sys

from lxml import etree
from zeep import Client
from zeep.helpers import serialize_object
from zeep.plugins import HistoryPlugin

BEN = '{10000000-0000-4000-8000-000000000002}'
SOLVED = '{40000000-0000-4000-8000-000000000001}'
PRINTER = '{30000000-0000-4000-8000-000000000002}'


def main():
    url, port, ticket, session = sys.argv[1:5]
    history = HistoryPlugin()
    client = Client(url + '/soap?wsdl', plugins=[history])
    service = client.bind('AcmpService', port)
    out = {}
    headers = {}
    if session != '-':
        out['refused'] = service.SaveTicket_V4(Ticket={'Id': ticket, 'Title': 'zeep'})
        password = hashlib.sha256(b'ben-demo-password').hexdigest()
        out['login'] = service.LoginAcmpUser_V1(Username='Ben Support', PasswordHash=password, SessionId=session)
        headers = {'_soapheaders': {'SessionId': session}}
    out['save'] = service.SaveTicket_V4(
        Ticket={'Id': ticket, 'Title': 'Scanner over zeep ' + port, 'CategoryId': PRINTER, 'Priority': 2, 'State': 'Open'}, **headers)
    cost = lambda n: ticket[:-4] + 'C0' + str(n) + '}'
    out['costs'] = service.SaveTicketCosts_V1(
        Costs={'TTicketCost_V1': [{'Id': cost(n), 'TicketId': ticket, 'UnitPrice': '10.25', 'Amount': n, 'Description': 'part %d' % n} for n in (1, 2)]},
        **headers)
    out['costList'] = service.GetTicketCostList_V1(TicketId=ticket, **headers)
    out['close'] = service.CloseTicket_V1(TicketId=ticket, Assignee={'Id': BEN, 'AssigneeIsGroup': False}, ResolutionId=SOLVED, **headers)
    out['read'] = service.GetTicket_V5(TicketId=ticket, **headers)
    # What zeep put on the wire for the last call: the envelope's namespace and the media type.
    last = history.last_sent
    out['sent'] = {'envelope': etree.QName(last['envelope']).namespace, 'contentType': last['http_headers'].get('Content-Type'),
                   'soapAction': last['http_headers'].get('SOAPAction')}
    print(json.dumps(serialize_object(out), default=str))


main()
