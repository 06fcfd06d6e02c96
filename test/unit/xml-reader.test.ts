// XML safety limits of the reader (architecture guide, convention 8).
import { MAX_DEPTH, readXml } from '../../src/protocol/xml-reader';

const nested = (levels: number) => '<a>'.repeat(levels) + '</a>'.repeat(levels);

test(`${MAX_DEPTH} levels of nesting are read, one more is refused`, () => {
  expect(() => readXml(nested(MAX_DEPTH))).not.toThrow();
  expect(() => readXml(nested(MAX_DEPTH + 1))).toThrow(`nested deeper than ${MAX_DEPTH} levels`);
});

test('a DOCTYPE is refused before parsing, so no entity is ever expanded', () => {
  const billionLaughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><ICQL>&lol2;</ICQL>';
  expect(() => readXml(billionLaughs)).toThrow('A DOCTYPE or ENTITY declaration is not allowed');
});

test('text keeps escaped HTML, CDATA and character references as text', () => {
  const root = readXml('\uFEFF<?xml version="1.0"?><T>&lt;br /&gt; &amp; &#233;<![CDATA[<b>]]></T>');
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
  expect(readXml('<T a="&quot;x&#x27;">&amp;amp; &#x1F600; &#10;</T>')).toMatchObject({ text: '&amp; \u{1F600} \n', attrs: { a: '"x\'' } });
  expect(readXml('<T><![CDATA[&amp; stays]]></T>').text).toBe('&amp; stays');
  expect(() => readXml('<T>&nbsp;</T>')).toThrow('unknown entity or character reference &nbsp;');
  expect(() => readXml('<T>&#0;</T>')).toThrow('&#0;');
  expect(() => readXml('<T>fish & chips</T>')).toThrow("Malformed XML at line 1, column 9: char '&' is not expected");
});
