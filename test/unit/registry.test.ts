// The registry refuses to start on a duplicate, a command without a schema or one without a known permission.
import path from 'node:path';
import { buildRegistry } from '../../src/commands/registry';
import type { CommandDefinition } from '../../src/commands/types';
import { PROJECT_ROOT } from '../../src/config';

const schemas = path.join(PROJECT_ROOT, 'schemas');
const handle = async () => ({});

test('a duplicate command version stops the start', () => {
  const def = { name: 'GetTicket', version: 5, permission: 'TICKET_READ' as const, handle };
  expect(() => buildRegistry(schemas, __dirname, [def, { ...def }])).toThrow(
    'Registry: GetTicket_V5 is defined twice',
  );
});

test('a command without a schema stops the start', () => {
  expect(() =>
    buildRegistry(schemas, __dirname, [
      { name: 'GetTicket', version: 42, permission: 'TICKET_READ', handle },
    ]),
  ).toThrow(/GetTicket_V42 has no schema/);
});

test('the real registry loads every command folder', () => {
  const registry = buildRegistry(schemas);
  expect(registry.get('SaveTicket', 4)?.definition.name).toBe('SaveTicket');
  expect(registry.get('SaveTicket', 9)).toBeUndefined();
});

test('a command that declares no permission stops the start, naming its file', () => {
  const def = { name: 'GetTicket', version: 5, handle } as unknown as CommandDefinition;
  expect(() => buildRegistry(schemas, __dirname, [def])).toThrow(
    "Registry: GetTicket_V5 (src/commands/GetTicket/v5.ts) declares no permission; set permission to 'NONE' or one of TICKET_READ, TICKET_CREATE",
  );
});

test('a command that declares an unknown permission stops the start, naming its file', () => {
  const def = {
    name: 'SaveTicket',
    version: 4,
    permission: 'TICKET_WRITE',
    handle,
  } as unknown as CommandDefinition;
  expect(() => buildRegistry(schemas, __dirname, [def])).toThrow(
    'Registry: SaveTicket_V4 (src/commands/SaveTicket/v4.ts) declares the unknown permission "TICKET_WRITE"',
  );
});
