// The SICS service bus (docs/protocol.md §8.2): virtual routers, targets (queues) bound to a router
// by routing keys, and the durable messages waiting in each target. Routers and targets belong
// to one user (the session's user); names are unique per user, case-insensitively.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table bus_routers (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references assignees(id) on delete cascade,
      name text not null,
      created_at timestamptz not null default now()
    );
    create unique index bus_routers_name on bus_routers (user_id, lower(name));
    create table bus_targets (
      id uuid primary key default gen_random_uuid(),
      user_id uuid not null references assignees(id) on delete cascade,
      router_id uuid not null references bus_routers(id) on delete cascade,
      name text not null,
      routing_keys text[] not null,
      created_at timestamptz not null default now()
    );
    create unique index bus_targets_name on bus_targets (user_id, lower(name));
    create index bus_targets_router on bus_targets (router_id);
    -- id orders the queue (first in, first out); message_id is what clients see.
    create table bus_messages (
      id bigserial primary key,
      message_id uuid not null default gen_random_uuid(),
      target_id uuid not null references bus_targets(id) on delete cascade,
      routing_key text not null,
      body text not null,
      published_at timestamptz not null default now(),
      expires_at timestamptz not null
    );
    create index bus_messages_queue on bus_messages (target_id, id);
    create index bus_messages_expiry on bus_messages (expires_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table bus_messages; drop table bus_targets; drop table bus_routers;');
}
