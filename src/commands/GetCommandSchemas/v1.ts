import path from 'path';
import type { CommandDefinition } from '../types';
import { NotFound } from '../../protocol/errors';
import { selfContainedXsd } from '../wire/xsd-text';

export default {
  name: 'GetCommandSchemas',
  version: 1,
  async handle(input: { Commands?: string[] }, { registry }) {
    const all = registry.versions();
    const wanted = input.Commands?.length ? input.Commands : [...all.keys()];
    const unknown = wanted.filter((c) => !all.has(c));
    if (unknown.length) throw new NotFound(`Commands: this gateway does not serve ${unknown.join(', ')}`);
    const xsdDir = path.join(registry.schemaDir, 'xsd');
    return {
      CommandSchemas: wanted.map((c) => {
        const newest = all.get(c)!.at(-1)!;
        return { CommandName: c, Schema: selfContainedXsd(xsdDir, `${c}_V${newest}`) };
      }),
    };
  },
} satisfies CommandDefinition;
