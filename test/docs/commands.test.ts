// The permission column of docs/commands.md is what each command file declares (the rows
// themselves, one per registry entry, are checked by test/integrity/catalog.test.ts).
import { testRegistry } from '../support/gateway';
import { readPage } from './markdown';

const registry = testRegistry();

/** A declaration as the page writes it: `none`, one permission, or SaveTicket's rule. */
const asWritten = (permission: unknown) =>
  typeof permission === 'function'
    ? 'TICKET_CREATE or TICKET_UPDATE'
    : permission === 'NONE'
      ? 'none'
      : String(permission);

test('docs/commands.md shows each command version with the permission its file declares', () => {
  const page = readPage('docs/commands.md');
  const documented = new Map(
    [...page.matchAll(/^\| `(\w+_V\d+)` \| ([^|]+?) \|/gm)].map((m) => [m[1], m[2]]),
  );
  const wrong = [...registry.commands.values()].flatMap(({ key, definition }) => {
    const expected = asWritten(definition.permission);
    const cell = documented.get(key);
    return cell === expected ? [] : [`${key}: declares ${expected}, docs/commands.md says ${cell}`];
  });
  expect(wrong).toEqual([]);
});
