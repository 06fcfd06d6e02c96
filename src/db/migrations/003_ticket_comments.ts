import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ticket_comments (
      id uuid primary key,
      -- Stable "oldest first" order, even for comments written in the same transaction.
      position bigint generated always as identity,
      ticket_id uuid not null references tickets(id),
      text text not null default '',
      html_text text not null default '',
      is_visible_for_web boolean not null default false,
      is_external boolean not null default false,
      external_mail text not null default '',
      external_recipient text not null default '',
      external_cc text not null default '',
      signature text not null default '',
      creator_id uuid references assignees(id),
      creator text not null default '',
      creation_date timestamptz not null default now()
    );
    create index ticket_comments_ticket on ticket_comments (ticket_id, position);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_comments');
}
