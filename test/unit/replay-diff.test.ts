// The diff `npm run replay` prints for a failed case (src/tools/fixtures/diff.ts, on jsdiff).
import { unifiedDiff } from '../../src/tools/fixtures/diff';

const lines = (count: number, text: (i: number) => string) =>
  Array.from({ length: count }, (_, i) => text(i)).join('\n');

test('equal answers have no diff; a changed line is shown with 3 lines of context', () => {
  expect(unifiedDiff('a\nb', 'a\nb')).toBe('');
  const expected = lines(10, (i) => `<L${i}>${i}</L${i}>`);
  const actual = expected.replace('<L5>5<', '<L5>x<');
  expect(unifiedDiff(expected, actual, { from: 'expected (response.xml)' })).toBe(
    [
      '--- expected (response.xml)',
      '+++ actual',
      '@@ -3,7 +3,7 @@',
      ' <L2>2</L2>',
      ' <L3>3</L3>',
      ' <L4>4</L4>',
      '-<L5>5</L5>',
      '+<L5>x</L5>',
      ' <L6>6</L6>',
      ' <L7>7</L7>',
      ' <L8>8</L8>',
    ].join('\n'),
  );
});

test('a line only added or removed, and a missing last newline, read as in git diff', () => {
  expect(unifiedDiff('a\nb', 'a\nb\nc')).toBe(
    '--- expected\n+++ actual\n@@ -1,2 +1,3 @@\n a\n b\n+c',
  );
  expect(unifiedDiff('a\nb\nc', 'a\nc', { context: 0 })).toBe(
    '--- expected\n+++ actual\n@@ -2,1 +1,0 @@\n-b',
  );
  // No "\ No newline at end of file": the answers are compared as lines.
  expect(unifiedDiff('a', 'a\n')).toBe('--- expected\n+++ actual\n@@ -1,1 +1,2 @@\n a\n+');
});

test('thousands of changed lines: a window from the first difference, in well under a second', () => {
  const expected = lines(20000, (i) => `<Row><Id>${i}</Id><At>2026-01-01</At></Row>`);
  const actual = `${expected.split('\n')[0]}\n${expected.replaceAll('2026-01-01', '2026-01-02')}`;
  const started = Date.now();
  const diff = unifiedDiff(expected, actual);
  expect(Date.now() - started).toBeLessThan(5000);
  const shown = diff.split('\n');
  expect(shown[2]).toBe(
    '(more than 2000 lines added or removed: lines 1-200 of each side compared)',
  );
  expect(shown[3]).toMatch(/^@@ -1,\d+ \+1,\d+ @@$/);
  expect(shown.length).toBeLessThan(450);
});
