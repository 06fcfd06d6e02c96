import type { CommandDefinition } from '../types';

export default {
  name: 'GetCommandVersions',
  version: 1,
  permission: 'NONE',
  // A name this gateway does not serve gets its item with no versions, not an error (docs/protocol.md §4).
  async handle(input: { Commands?: string[] }, { registry }) {
    const versions = registry.versions();
    return {
      CommandVersions: registry
        .commandNames(input.Commands)
        .map((c) => ({ CommandName: c, Versions: versions.get(c) ?? [] })),
    };
  },
} satisfies CommandDefinition;
