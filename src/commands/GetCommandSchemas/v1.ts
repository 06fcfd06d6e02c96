import path from 'path';
import type { CommandDefinition } from '../types';
import { selfContainedXsd } from '../wire/xsd-text';

export default {
  name: 'GetCommandSchemas',
  version: 1,
  async handle(input: { Commands?: string[] }, { registry }) {
    const versions = registry.versions();
    const xsdDir = path.join(registry.schemaDir, 'xsd');
    return {
      CommandSchemas: registry.commandNames(input.Commands).map((c) => ({ CommandName: c, Schema: selfContainedXsd(xsdDir, `${c}_V${versions.get(c)!.at(-1)}`) })),
    };
  },
} satisfies CommandDefinition;
