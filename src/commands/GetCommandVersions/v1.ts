import type { CommandDefinition } from '../types';

export default {
  name: 'GetCommandVersions',
  version: 1,
  async handle(input: { Commands?: string[] }, { registry }) {
    const versions = registry.versions();
    return { CommandVersions: registry.commandNames(input.Commands).map((c) => ({ CommandName: c, Versions: versions.get(c) })) };
  },
} satisfies CommandDefinition;
