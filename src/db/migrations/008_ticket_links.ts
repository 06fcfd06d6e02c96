import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    -- Linking twice stores one link: the primary keys make a second link a no-op.
    create table ticket_assets (
      ticket_id uuid not null references tickets(id),
      asset_id uuid not null references assets(id),
      primary key (ticket_id, asset_id)
    );
    create index ticket_assets_asset on ticket_assets (asset_id);
    create table ticket_clients (
      ticket_id uuid not null references tickets(id),
      client_id uuid not null references clients(id),
      primary key (ticket_id, client_id)
    );
    -- Ticket links are symmetric: stored once with the smaller id first.
    create table ticket_links (
      ticket_a uuid not null references tickets(id),
      ticket_b uuid not null references tickets(id),
      primary key (ticket_a, ticket_b),
      check (ticket_a < ticket_b)
    );
    create index ticket_links_b on ticket_links (ticket_b);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table ticket_links, ticket_clients, ticket_assets');
}
