import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Money is numeric, never floating point.
    create table ticket_costs (
      id uuid primary key,
      position bigint generated always as identity,
      ticket_id uuid not null references tickets(id),
      unit_price numeric(8, 2) not null check (unit_price > 0),
      amount integer not null check (amount > 0),
      total_price numeric(16, 2) generated always as (unit_price * amount) stored,
      category text not null default '',
      description text not null default '',
      creator_id uuid references assignees(id),
      creation_date timestamptz not null default now()
    );
    create index ticket_costs_ticket on ticket_costs (ticket_id, position);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_costs');
}
