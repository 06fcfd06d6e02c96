import path from 'node:path';
import type { CommandDefinition } from '../types';
import { selfContainedXsd } from '../wire/xsd-text';

export default {
  name: 'GetCommandSchemas',
  version: 1,
  permission: 'NONE',
  // A name this gateway does not serve gets its item with an empty Schema, not an error (docs/protocol.md §4).
  async handle(input: { Commands?: string[] }, { registry }) {
    const versions = registry.versions();
    const xsdDir = path.join(registry.schemaDir, 'xsd');
    return {
      CommandSchemas: registry.commandNames(input.Commands).map((c) => {
        const newest = versions.get(c)?.at(-1);
        return {
          CommandName: c,
          Schema: newest === undefined ? '' : selfContainedXsd(xsdDir, `${c}_V${newest}`),
        };
      }),
    };
  },
} satisfies CommandDefinition;
