import type { Knex } from 'knex';
import type { Caller, Permission } from '../identity/caller';
import type { IdentityLimits } from '../identity/limits';
import type { Shape } from '../validation/shapes';

/** What a handler may use: never Express, XML text or Ajv (architecture guide, convention 6). */
export interface CommandContext {
  db: Knex;
  registry: CommandCatalog;
  /** Who the command runs for (docs/protocol.md §5): creator of comments and costs, default reminder user, "My tickets". */
  caller: Caller;
  /** Session and token lifetimes (docs/protocol.md §5, configurable); the defaults when absent. */
  limits?: IdentityLimits;
}

/**
 * The permission a command version needs (docs/protocol.md §5): 'NONE', one permission, or one decided from
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

/**
 * What a command may ask of the catalog it is part of (GetCommandVersions, GetCommandSchemas,
 * a response shape). The registry provides it; declared here so that the registry depends on
 * the command types, never the other way round.
 */
export interface CommandCatalog {
  /** The folder holding xsd/ and json/. */
  readonly schemaDir: string;
  get(command: string, version: number): { request: Shape; response: Shape } | undefined;
  /** The named commands in the order asked, or all when none are named. */
  commandNames(names: string[] | undefined): string[];
  /** Command name → its versions, ascending. */
  versions(): Map<string, number[]>;
}
