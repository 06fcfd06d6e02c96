// The registry refuses to start on a duplicate or on a command without a schema.
import path from 'path';
import { buildRegistry } from '../../src/commands/registry';
import { PROJECT_ROOT } from '../../src/config';

const schemas = path.join(PROJECT_ROOT, 'schemas');
const handle = async () => ({});

test('a duplicate command version stops the start', () => {
  const def = { name: 'GetTicket', version: 5, handle };
  expect(() => buildRegistry(schemas, __dirname, [def, { ...def }])).toThrow('Registry: GetTicket_V5 is defined twice');
});

test('a command without a schema stops the start', () => {
  expect(() => buildRegistry(schemas, __dirname, [{ name: 'GetTicket', version: 42, handle }])).toThrow(/GetTicket_V42 has no schema/);
});

test('the real registry loads every command folder', () => {
  const registry = buildRegistry(schemas);
  expect(registry.get('SaveTicket', 4)?.definition.name).toBe('SaveTicket');
  expect(registry.get('SaveTicket', 9)).toBeUndefined();
});
