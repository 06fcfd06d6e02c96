import path from 'path';
import type { CommandDefinition } from '../types';
import { NotFound } from '../../protocol/errors';
import { selfContainedXsd } from '../wire/xsd-text';

export default {
  name: 'GetCommandSchemas',
  version: 2,
  async handle(input: { Commands?: { CommandName: string; Version?: number }[] }, { registry }) {
    const all = registry.versions();
    const wanted = input.Commands?.length ? input.Commands : [...all.keys()].map((c) => ({ CommandName: c, Version: 0 }));
    const problems: string[] = [];
    const schemas = wanted.map(({ CommandName, Version = 0 }) => {
      const versions = all.get(CommandName);
      const version = Version === 0 ? versions?.at(-1) : Version;
      if (!versions || !versions.includes(version!)) problems.push(Version ? `${CommandName} version ${Version}` : CommandName);
      return { CommandName, Version: version, Schema: '' };
    });
    if (problems.length) throw new NotFound(`Commands: this gateway does not serve ${problems.join(', ')}`);
    const xsdDir = path.join(registry.schemaDir, 'xsd');
    for (const s of schemas) s.Schema = selfContainedXsd(xsdDir, `${s.CommandName}_V${s.Version}`);
    return { CommandSchemas: schemas };
  },
} satisfies CommandDefinition;
