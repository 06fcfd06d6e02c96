import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Ticket numbers come from a sequence: concurrent creates never share one.
    create sequence ticket_number_seq;
    create table tickets (
      id uuid primary key,
      number integer not null unique default nextval('ticket_number_seq'),
      title text not null default '',
      html_description text not null default '',
      category_id uuid references categories(id),
      priority smallint not null check (priority between 1 and 5),
      state text not null check (state in ('New', 'Open', 'InProgress', 'Waiting', 'Closed')),
      contact_id uuid references contacts(id),
      assignee_id uuid references assignees(id),
      keywords text not null default '',
      impact_id uuid references impacts(id),
      due_date timestamptz,
      source text not null default 'Unknown' check (source in ('Unknown', 'Email', 'Phone', 'Web', 'SelfService', 'Api')),
      template_id uuid,
      resolution_id uuid references resolutions(id),
      closed_date timestamptz,
      master_ticket_id uuid references tickets(id),
      creation_date timestamptz not null default now(),
      last_modified timestamptz not null default now()
    );
    alter sequence ticket_number_seq owned by tickets.number;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table tickets');
}
