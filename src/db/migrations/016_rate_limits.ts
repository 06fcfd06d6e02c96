// Rate limit counters shared by every gateway process on this database (ACMP_RATE_LIMIT_*): one
// row per client key (an address, or a session's hash) with the hits of its current fixed window.
// Unlogged: a counter lost in a database crash only forgives a window, and writes skip the WAL.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create unlogged table rate_limits (
      key text primary key,
      hits integer not null,
      window_ends timestamptz not null
    )
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table rate_limits');
}
