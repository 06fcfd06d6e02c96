import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ticket_working_times (
      id uuid primary key,
      position bigint generated always as identity,
      ticket_id uuid not null references tickets(id),
      executor_id uuid references assignees(id),
      start_date timestamptz not null,
      end_date timestamptz not null,
      duration_minutes integer not null check (duration_minutes >= 0),
      description text not null default '',
      creation_date timestamptz not null default now(),
      check (start_date < end_date)
    );
    create index ticket_working_times_ticket on ticket_working_times (ticket_id, position);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_working_times');
}
