import type { CommandDefinition } from '../types';
import { NotFound } from '../../protocol/errors';

export default {
  name: 'GetCommandVersions',
  version: 1,
  async handle(input: { Commands?: string[] }, { registry }) {
    const all = registry.versions();
    const wanted = input.Commands?.length ? input.Commands : [...all.keys()];
    const unknown = wanted.filter((c) => !all.has(c));
    if (unknown.length) throw new NotFound(`Commands: this gateway does not serve ${unknown.join(', ')}`);
    return { CommandVersions: wanted.map((c) => ({ CommandName: c, Versions: all.get(c) })) };
  },
} satisfies CommandDefinition;
