// Redaction of logged bodies: secrets and attachment contents never reach the log, on well-formed
// and on malformed or hostile input, in linear time.
import {
  REDACTED,
  redactJsonText,
  redactSicsJson,
  redactXml,
  sizeNote,
} from '../../src/observability/redact';

const HASH = '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8';
const SESSION = '{0D3B6B1E-93A0-4C57-8E0A-5B1C1F0A7E11}';

describe('XML', () => {
  test('a login: PasswordHash and SessionId, with or without a namespace prefix', () => {
    const xml = `<ICQL xmlns="http://acmp.com/LoginAcmpUserRequest_V1"><ACMP><LoginAcmpUser ActionType="Request" version="1"><TLoginAcmpUserRequest_V1>
      <Username>admin</Username><PasswordHash>${HASH}</PasswordHash><a:SessionId xmlns:a="x">${SESSION}</a:SessionId></TLoginAcmpUserRequest_V1></LoginAcmpUser></ACMP></ICQL>`;
    const out = redactXml(xml);
    expect(out).not.toContain(HASH);
    expect(out).not.toContain(SESSION);
    expect(out).toContain(`<PasswordHash>${REDACTED}</PasswordHash>`);
    expect(out).toContain(`<a:SessionId xmlns:a="x">${REDACTED}</a:SessionId>`);
    expect(out).toContain('<Username>admin</Username>');
  });

  test('Token, Password, SessionID, a SOAP SessionId header; look-alike names are kept', () => {
    const xml = `<soap:Envelope><soap:Header><tns:SessionId soap:mustUnderstand="1">s-e-c-r-e-t-1</tns:SessionId></soap:Header><soap:Body>
      <Token>tok-2</Token><Password>pw-3</Password><SessionID>sid-4</SessionID><PasswordHashes>keep</PasswordHashes><TokenCount>7</TokenCount><Token/></soap:Body></soap:Envelope>`;
    const out = redactXml(xml);
    for (const secret of ['s-e-c-r-e-t-1', 'tok-2', 'pw-3', 'sid-4'])
      expect(out).not.toContain(secret);
    expect(out).toContain('<PasswordHashes>keep</PasswordHashes>');
    expect(out).toContain('<TokenCount>7</TokenCount>');
    expect(out).toContain('<Token/>');
  });

  test('attachment content becomes its decoded size; CDATA is hidden too', () => {
    const content = Buffer.from('hello attachment world').toString('base64'); // 22 bytes
    const out = redactXml(
      `<Attachments><TTicketAttachment_V1><Name>a.txt</Name><Content>${content}</Content></TTicketAttachment_V1><x><Content><![CDATA[${content}]]></Content><Password><![CDATA[p<w>d]]></Password></x></Attachments>`,
    );
    expect(out).not.toContain(content);
    expect(out).not.toContain('p<w>d');
    expect(out.match(/<Content>\[22 bytes\]<\/Content>/g)).toHaveLength(2);
    expect(sizeNote('YQ==')).toBe('[1 bytes]');
    expect(sizeNote('YWI=\r\n')).toBe('[2 bytes]');
  });

  test('malformed: an unclosed value or CDATA hides the rest', () => {
    expect(redactXml('<x><PasswordHash>abc')).toBe(`<x><PasswordHash>${REDACTED}`);
    expect(redactXml('<Token><![CDATA[abc</Token>')).toBe(`<Token>${REDACTED}`);
  });

  test('hostile input is redacted in linear time', () => {
    const bodies = [
      '<Password><![CDATA['.repeat(200_000),
      '<a:'.repeat(300_000),
      `<${'x'.repeat(1_000_000)}`,
      '<Token '.repeat(300_000),
      '<Content>'.repeat(300_000),
    ];
    for (const body of bodies) {
      const started = Date.now();
      redactXml(body);
      expect(Date.now() - started).toBeLessThan(1000);
    }
  });
});

describe('JSON', () => {
  test('secret keys at any depth; Content becomes its size; other values stay', () => {
    const out = redactJsonText(
      JSON.stringify({
        UserName: 'admin',
        Password: 'pw-1',
        nested: [{ Token: 'tok-2', SessionId: 'sid-3', Content: 'YWJj', Name: 'n' }],
      }),
    );
    expect(JSON.parse(out)).toEqual({
      UserName: 'admin',
      Password: REDACTED,
      nested: [{ Token: REDACTED, SessionId: REDACTED, Content: '[3 bytes]', Name: 'n' }],
    });
  });

  test('malformed JSON is redacted as text, also unclosed strings, in linear time', () => {
    expect(redactJsonText('{"Password": "pw-1", "x": 1, "Token": 12345')).toBe(
      `{"Password": "${REDACTED}", "x": 1, "Token": "${REDACTED}"`,
    );
    expect(redactJsonText('{"Password":"pw-1\\" more')).not.toContain('pw-1');
    const hostile = '{"Password":"\\"Password\\":\\"'.repeat(200_000);
    const started = Date.now();
    redactJsonText(hostile);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('SICS: the session answer, the password, and the ICQL inside a Base64 Body', () => {
    expect(redactSicsJson('{"Session":"abcdef0123"}')).toBe(`{"Session":"${REDACTED}"}`);
    expect(redactSicsJson('{"UserName":"admin","Password":"pw-1"}')).toBe(
      `{"UserName":"admin","Password":"${REDACTED}"}`,
    );
    const icql = `<ICQL><ACMP><LoginAcmpUser><T><PasswordHash>${HASH}</PasswordHash></T></LoginAcmpUser></ACMP></ICQL>`;
    const published = JSON.parse(
      redactSicsJson(
        JSON.stringify({ Body: Buffer.from(icql).toString('base64'), VirtualRouter: 'ACMP' }),
      ),
    );
    expect(published.Body).toBe(icql.replace(HASH, REDACTED));
    const consumed = JSON.parse(
      redactSicsJson(
        JSON.stringify({
          ErrorCode: 0,
          Messages: [
            {
              MessageId: 'm',
              Body: Buffer.from(`<ICQL><Token>tok-9</Token></ICQL>`).toString('base64'),
            },
            { Body: 'bm90IHhtbA==' },
          ],
        }),
      ),
    );
    expect(consumed.Messages[0].Body).toBe(`<ICQL><Token>${REDACTED}</Token></ICQL>`);
    expect(consumed.Messages[1].Body).toBe('bm90IHhtbA=='); // not XML: as sent
  });
});
