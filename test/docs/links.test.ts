// Every relative link of the README and of docs/ leads somewhere: to a file of the repository and,
// with an #anchor, to a heading of that file (anchors as GitHub makes them).
import { anchorsOf, isExternal, linksOf, markdownPages, problemOf, slug } from './markdown';

const pages = markdownPages();

test('the README and the pages of docs/ are found', () => {
  expect(pages).toEqual(expect.arrayContaining(['README.md', 'docs/protocol.md']));
});

test('every relative link resolves to a file, and every #anchor to a heading of it', () => {
  const links = pages.flatMap(linksOf).filter((l) => !isExternal(l.target));
  expect(links.length).toBeGreaterThan(50);
  const broken = links.flatMap((l) => problemOf(l) ?? []);
  expect(broken).toEqual([]);
});

test('anchors follow GitHub: lower case, punctuation dropped, spaces to hyphens, duplicates numbered', () => {
  expect(slug('3. Result codes')).toBe('3-result-codes');
  expect(slug('8.2 SICS bus')).toBe('82-sics-bus');
  expect(slug("9. The gateway's own commands")).toBe('9-the-gateways-own-commands');
  expect(slug('Authentication mode: `ACMP_AUTH`')).toBe('authentication-mode-acmp_auth');
  expect(slug('Console: `GET /console`')).toBe('console-get-console');
  expect(slug('XSD → JSON Schema')).toBe('xsd--json-schema');
  expect(slug('See [the page](x.md) **now**')).toBe('see-the-page-now');
  expect(anchorsOf('docs/protocol.md').has('85-several-commands-in-one-transaction')).toBe(true);
});

test('a broken link is reported with its page, line and reason', () => {
  const at = { page: 'docs/qa.md', line: 7 };
  expect(problemOf({ ...at, target: 'no-such-page.md' })).toBe(
    'docs/qa.md:7: (no-such-page.md): docs/no-such-page.md does not exist',
  );
  expect(problemOf({ ...at, target: 'protocol.md#99-nothing' })).toBe(
    'docs/qa.md:7: (protocol.md#99-nothing): docs/protocol.md has no heading with the anchor #99-nothing',
  );
  expect(problemOf({ ...at, target: '#fixtures' })).toBeUndefined();
  expect(problemOf({ ...at, target: '../README.md#development' })).toBeUndefined();
  expect(problemOf({ ...at, target: '../../outside.md' })).toMatch(/leads out of the repository/);
});
