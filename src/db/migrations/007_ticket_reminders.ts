import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- One reminder per ticket and user; saving again replaces it.
    create table ticket_reminders (
      ticket_id uuid not null references tickets(id),
      user_id uuid not null references assignees(id),
      reminder_date timestamptz not null,
      text text not null default '',
      primary key (ticket_id, user_id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_reminders');
}
