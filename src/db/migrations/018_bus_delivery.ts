// Delivery on the SICS bus (docs/protocol.md §8.2): a consumed message is leased, not deleted,
// until it is acknowledged (automatically once its Consume answer is written, or by POST /Ack);
// an unacknowledged one comes back after its lease, and after too many deliveries it is a dead
// letter. Routers and targets remember when a client last used them, so that idle ones expire.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table bus_messages
      add column delivery_count integer not null default 0,
      add column leased_until timestamptz,
      add column lease_id uuid,
      add column dead_at timestamptz;
    -- The queue in order, live messages only: what a Consume walks.
    drop index bus_messages_queue;
    create index bus_messages_queue on bus_messages (target_id, id) where dead_at is null;
    create index bus_messages_dead on bus_messages (target_id, id) where dead_at is not null;
    create unique index bus_messages_lease on bus_messages (lease_id) where lease_id is not null;
    alter table bus_routers add column last_used_at timestamptz not null default now();
    alter table bus_targets add column last_used_at timestamptz not null default now();
    create index bus_routers_idle on bus_routers (last_used_at);
    create index bus_targets_idle on bus_targets (last_used_at);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index bus_routers_idle;
    drop index bus_targets_idle;
    alter table bus_routers drop column last_used_at;
    alter table bus_targets drop column last_used_at;
    drop index bus_messages_lease;
    drop index bus_messages_dead;
    drop index bus_messages_queue;
    create index bus_messages_queue on bus_messages (target_id, id);
    alter table bus_messages
      drop column delivery_count, drop column leased_until, drop column lease_id, drop column dead_at;
  `);
}
