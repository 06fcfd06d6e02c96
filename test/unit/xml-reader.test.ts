// XML safety limits of the reader (architecture guide, convention 8).
import { MAX_DEPTH, readXml, rootNamespace } from '../../src/protocol/xml-reader';

const nested = (levels: number) => '<a>'.repeat(levels) + '</a>'.repeat(levels);

test(`${MAX_DEPTH} levels of nesting are read, one more is refused`, () => {
  expect(() => readXml(nested(MAX_DEPTH))).not.toThrow();
  expect(() => readXml(nested(MAX_DEPTH + 1))).toThrow(`nested deeper than ${MAX_DEPTH} levels`);
});

test('a DOCTYPE is refused before parsing, so no entity is ever expanded', () => {
  const billionLaughs =
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><ICQL>&lol2;</ICQL>';
  expect(() => readXml(billionLaughs)).toThrow('A DOCTYPE or ENTITY declaration is not allowed');
});

test('text keeps escaped HTML, CDATA and character references as text', () => {
  const root = readXml(
    '\uFEFF<?xml version="1.0"?><T>&lt;br /&gt; &amp; &#233;<![CDATA[<b>]]></T>',
  );
  expect(root.text).toBe('<br /> & é<b>');
});

test('namespaces are dropped: elements match by local name', () => {
  const root = readXml('<x:ICQL xmlns:x="urn:a"><x:ACMP/></x:ICQL>');
  expect([root.name, root.children[0].name]).toEqual(['ICQL', 'ACMP']);
});

test('not XML at all, and more than one root, are told apart', () => {
  expect(() => readXml('hello')).toThrow('The request body is not XML');
  expect(() => readXml('<a/><b/>')).toThrow('exactly one root element; found 2');
});

test('entities: the XML five and character references; anything else is malformed', () => {
  expect(readXml('<T a="&quot;x&#x27;">&amp;amp; &#x1F600; &#10;</T>')).toMatchObject({
    text: '&amp; \u{1F600} \n',
    attrs: { a: '"x\'' },
  });
  expect(readXml('<T><![CDATA[&amp; stays]]></T>').text).toBe('&amp; stays');
  expect(() => readXml('<T>&nbsp;</T>')).toThrow('unknown entity or character reference &nbsp;');
  expect(() => readXml('<T>&#0;</T>')).toThrow('&#0;');
  expect(() => readXml('<T>fish & chips</T>')).toThrow(
    "Malformed XML at line 1, column 9: char '&' is not expected",
  );
});

describe('a DOCTYPE is markup, not text', () => {
  test.each([
    [
      'after the XML declaration, comments and PIs',
      '<?xml version="1.0"?><!-- c --><?pi x?>\n<!DOCTYPE ICQL><ICQL/>',
    ],
    ['an ENTITY declared in the prolog', '<!ENTITY e "x"><ICQL/>'],
    ['after the root element', '<ICQL/><!DOCTYPE ICQL>'],
    ['inside an element', '<ICQL><!DOCTYPE x [<!ENTITY e "x">]>&e;</ICQL>'],
  ])('%s is refused', (_n, xml) => {
    expect(() => readXml(xml)).toThrow('A DOCTYPE or ENTITY declaration is not allowed');
  });

  test('in CDATA, escaped text or a comment it is text, kept verbatim', () => {
    const root = readXml(
      '<!-- <!DOCTYPE in a comment --><T><![CDATA[<!DOCTYPE html><html><!ENTITY x "y"></html>]]>&lt;!DOCTYPE a&gt;<!-- <!ENTITY --></T>',
    );
    expect(root.text).toBe('<!DOCTYPE html><html><!ENTITY x "y"></html><!DOCTYPE a>');
  });
});

describe('characters XML 1.0 forbids, written raw', () => {
  test.each([
    ['NUL', '\u0000', 'U+0000'],
    ['a C0 control', '\u0001', 'U+0001'],
    ['form feed', '\u000C', 'U+000C'],
    ['U+FFFE', '\uFFFE', 'U+FFFE'],
    ['U+FFFF', '\uFFFF', 'U+FFFF'],
    ['a lone high surrogate', '\uD83D', 'U+D83D'],
    ['a lone low surrogate', '\uDE00', 'U+DE00'],
  ])('%s is refused naming line, column and element', (_n, char, code) => {
    const xml = `<ICQL>\n  <ACMP><x:T xmlns:x="urn:a" a="1>2"><Id/><Title>ab${char}c</Title></x:T></ACMP></ICQL>`;
    expect(() => readXml(xml)).toThrow(
      `Malformed XML at line 2, column 52: the character ${code} is not allowed in XML (in ICQL/ACMP/T/Title)`,
    );
  });

  test('tab, LF, CR, astral characters and U+FFFD are allowed', () => {
    expect(readXml('<T>a\tb\nc 😀 \uFFFD \uD7FF \uE000</T>').text).toBe(
      'a\tb\nc 😀 \uFFFD \uD7FF \uE000',
    );
    expect(() => readXml('<T>\r\n</T>')).not.toThrow();
  });

  test('in an attribute or a comment too', () => {
    expect(() => readXml('<T a="\u0002"/>')).toThrow(
      'Malformed XML at line 1, column 7: the character U+0002 is not allowed in XML',
    );
    expect(() => readXml('<T><!-- \u0000 --></T>')).toThrow(
      'the character U+0000 is not allowed in XML (in T)',
    );
  });
});

test('rootNamespace names the namespace of the root element, prefixed or default (SOAP 1.1 vs 1.2)', () => {
  expect(
    rootNamespace(
      '<?xml version="1.0"?><!-- <x:No xmlns:x="urn:comment"/> --><s:Envelope a="1" xmlns:t="urn:t" xmlns:s=\'http://www.w3.org/2003/05/soap-envelope\'><t:B/></s:Envelope>',
    ),
  ).toBe('http://www.w3.org/2003/05/soap-envelope');
  expect(
    rootNamespace(
      '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/" xmlns:s="urn:other"/>',
    ),
  ).toBe('http://schemas.xmlsoap.org/soap/envelope/');
  expect(rootNamespace('<s:Envelope xmlns="urn:default"/>')).toBeUndefined();
  expect(rootNamespace('<ICQL/>')).toBeUndefined();
});
