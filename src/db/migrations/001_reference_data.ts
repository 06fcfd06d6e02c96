// Reference data that no command writes (docs/protocol.md §7, last paragraph): loaded from seed files.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table assignees (
      id uuid primary key,
      is_group boolean not null default false,
      name text not null,
      description text not null default '',
      email text not null default '',
      user_type text not null default 'AcmpUser' check (user_type in ('AcmpUser', 'ActiveDirectoryUser')),
      roles text[] not null default '{}'
    );
    create table categories (
      id uuid primary key,
      name text not null,
      parent_id uuid references categories(id)
    );
    create table resolutions (id uuid primary key, name text not null, description text not null default '');
    create table impacts (id uuid primary key, name text not null);
    create table contacts (id uuid primary key, name text not null, email text not null default '');
    create table assets (id uuid primary key, name text not null);
    create table clients (id uuid primary key, name text not null);
    create table email_monitors (
      id uuid primary key,
      name text not null,
      email_address text not null default '',
      server text not null default '',
      enabled boolean not null default true
    );
    create table templates (
      id uuid primary key,
      name text not null,
      title text not null default '',
      html_description text not null default '',
      category_id uuid references categories(id),
      priority smallint check (priority between 1 and 5),
      state text check (state in ('New', 'Open', 'InProgress', 'Waiting', 'Closed')),
      assignee_id uuid references assignees(id)
    );
    create table template_working_times (
      id uuid primary key,
      template_id uuid not null references templates(id) on delete cascade,
      executor_id uuid references assignees(id),
      minutes integer not null check (minutes > 0),
      description text not null default ''
    );
    create table template_costs (
      id uuid primary key,
      template_id uuid not null references templates(id) on delete cascade,
      unit_price numeric(8, 2) not null,
      amount integer not null,
      category text not null default '',
      description text not null default ''
    );
    -- One row: the helpdesk settings (THelpdeskSettings_V1) and the user the gateway acts for.
    create table settings (
      id boolean primary key default true check (id),
      resolutions_enabled boolean not null default false,
      comment_required_on_close boolean not null default false,
      working_times_enabled boolean not null default true,
      working_time_required_on_close boolean not null default false,
      max_attachment_size_kb integer not null default 3072 check (max_attachment_size_kb > 0),
      default_priority smallint not null default 3 check (default_priority between 1 and 5),
      api_user_id uuid references assignees(id)
    );
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop table settings, template_costs, template_working_times, templates, email_monitors, clients, assets,
    contacts, impacts, resolutions, categories, assignees`);
}
