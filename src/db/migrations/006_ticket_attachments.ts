import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ticket_attachments (
      id uuid primary key,
      position bigint generated always as identity,
      ticket_id uuid not null references tickets(id),
      document_id uuid not null,
      name text not null default '',
      file_name text not null default '',
      description text not null default '',
      is_visible_for_web boolean not null default false,
      size integer not null,
      content bytea not null,
      creator_id uuid references assignees(id),
      creator text not null default '',
      creation_date timestamptz not null default now()
    );
    create index ticket_attachments_ticket on ticket_attachments (ticket_id, position);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_attachments');
}
