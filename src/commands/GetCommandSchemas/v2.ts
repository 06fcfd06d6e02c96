import path from 'node:path';
import type { CommandDefinition } from '../types';
import { selfContainedXsd } from '../wire/xsd-text';

export default {
  name: 'GetCommandSchemas',
  version: 2,
  permission: 'NONE',
  // A name or version this gateway does not serve gets its item with an empty Schema and the
  // version asked, not an error (docs/protocol.md §4).
  async handle(input: { Commands?: { CommandName: string; Version?: number }[] }, { registry }) {
    const all = registry.versions();
    const wanted = input.Commands?.length
      ? input.Commands
      : [...all.keys()].map((c) => ({ CommandName: c, Version: 0 }));
    const xsdDir = path.join(registry.schemaDir, 'xsd');
    return {
      CommandSchemas: wanted.map(({ CommandName, Version = 0 }) => {
        const versions = all.get(CommandName) ?? [];
        const version = Version === 0 ? versions.at(-1) : Version;
        if (version === undefined || !versions.includes(version))
          return { CommandName, Version, Schema: '' };
        return {
          CommandName,
          Version: version,
          Schema: selfContainedXsd(xsdDir, `${CommandName}_V${version}`),
        };
      }),
    };
  },
} satisfies CommandDefinition;
