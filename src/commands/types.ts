import type { Knex } from 'knex';
import type { IdentityLimits } from '../identity/limits';
import type { Caller, Permission } from '../identity/caller';
import type { Registry } from './registry';

/** What a handler may use: never Express, XML text or Ajv (architecture guide, convention 6). */
export interface CommandContext {
  db: Knex;
  registry: Registry;
  /** Who the command runs for (spec §5): creator of comments and costs, default reminder user, "My tickets". */
  caller: Caller;
  /** Session and token lifetimes (spec §5, configurable); the defaults when absent. */
  limits?: IdentityLimits;
}

/**
 * The permission a command version needs (spec §5): 'NONE', one permission, or one decided from
 * the validated request (SaveTicket: TICKET_CREATE for a new Id, TICKET_UPDATE for an existing one).
 */
export type PermissionRule<In = any> =
  | 'NONE'
  | Permission
  | ((input: In, ctx: CommandContext) => Promise<Permission>);

/**
 * One file per command version, written as a declaration: src/commands/<Name>/v<N>.ts exports
 * `default: { name, version, permission, handle }`. `handle` receives the validated, normalized
 * request payload (wire field names) and returns the response payload fields; it runs only when
 * the caller holds `permission`.
 */
export interface CommandDefinition<In = any, Out = Record<string, unknown>> {
  name: string;
  version: number;
  permission: PermissionRule<In>;
  handle(input: In, ctx: CommandContext): Promise<Out>;
}
