// Knex migrations, append-only, one change per file: NNN_what.ts exporting up/down.
// Listed from this folder so the same source works under ts-node, Jest and compiled dist.

import { readdirSync } from 'node:fs';
import type { Knex } from 'knex';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const FILE = /^(\d{3}_[a-z0-9_]+)\.(ts|js)$/;

export const migrationSource: Knex.MigrationSource<string> = {
  async getMigrations() {
    return readdirSync(__dirname)
      .map((f) => FILE.exec(f)?.[1])
      .filter((name): name is string => !!name)
      .sort();
  },
  getMigrationName: (name) => name,
  async getMigration(name) {
    return require(`./${name}`) as Migration;
  },
};
