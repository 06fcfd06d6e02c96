import type { Knex } from 'knex';
import type { Registry } from './registry';

/** What a handler may use: never Express, XML text or Ajv (architecture guide, convention 6). */
export interface CommandContext {
  db: Knex;
  registry: Registry;
}

/**
 * One file per command version, written as a declaration: src/commands/<Name>/v<N>.ts exports
 * `default: { name, version, handle }`. `handle` receives the validated, normalized request
 * payload (wire field names) and returns the response payload fields.
 */
export interface CommandDefinition<In = any, Out = Record<string, unknown>> {
  name: string;
  version: number;
  handle(input: In, ctx: CommandContext): Promise<Out>;
}
