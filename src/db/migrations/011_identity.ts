// Identity (docs/protocol.md §5): roles grant permissions, users (assignees rows that are not groups)
// may log in with a password, sessions and tokens live here so that several gateway instances
// on one database share them, and failed logins are remembered per user name for throttling.
import type { Knex } from 'knex';

// The spec's permission list, frozen here as of this migration (a new permission is a new migration).
const PERMISSIONS = [
  'TICKET_READ',
  'TICKET_CREATE',
  'TICKET_UPDATE',
  'TICKET_DELETE',
  'SET_STATUS',
  'TICKET_BATCH',
  'ADMIN',
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table roles (
      name text primary key,
      permissions text[] not null default '{}' check (permissions <@ array[${PERMISSIONS.map((p) => `'${p}'`).join(', ')}]::text[])
    );
    -- password_hash: src/identity/passwords.ts's encoded scrypt hash; null = cannot log in.
    alter table assignees
      add column password_hash text,
      add column disabled boolean not null default false;
    -- Login names are matched case-insensitively, so they must be unique that way among the users who can log in.
    create unique index assignees_login_name on assignees (lower(name)) where not is_group and password_hash is not null;
    create table sessions (
      id text primary key,
      user_id uuid not null references assignees(id) on delete cascade,
      created_at timestamptz not null default now(),
      last_seen timestamptz not null default now(),
      ends_at timestamptz not null
    );
    create index sessions_user on sessions (user_id);
    -- Only the SHA-256 of a token is stored: the plain token is shown once, when created.
    create table tokens (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references assignees(id) on delete cascade,
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      revoked_at timestamptz
    );
    create index tokens_user on tokens (user_id);
    -- user_key: the lower-cased user name as sent, whether or not such a user exists.
    create table login_failures (
      user_key text not null,
      at timestamptz not null default now()
    );
    create index login_failures_user on login_failures (user_key, at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop table login_failures;
    drop table tokens;
    drop table sessions;
    drop index assignees_login_name;
    alter table assignees drop column password_hash, drop column disabled;
    drop table roles;
  `);
}
