// Typed ticket links (docs/protocol.md §9: LinkTicketsToTicket_V2, GetLinkedTicketsOfTicket_V2). A link is still
// stored once, smaller id first (migration 008); link_type is the role of ticket_b as seen from
// ticket_a ('Parent': ticket_b is the parent of ticket_a). Seen from ticket_b the type is flipped
// with ticket_link_flip(). Links made before typing, or by the version-1 commands, are 'Normal'.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    alter table ticket_links
      add column link_type text not null default 'Normal' check (link_type in ('Normal', 'Parent', 'Child'));
    -- The same link seen from its other end: a parent of B is seen from B as its child.
    create function ticket_link_flip(link_type text) returns text language sql immutable strict as $$
      select case link_type when 'Parent' then 'Child' when 'Child' then 'Parent' else link_type end
    $$;
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    'drop function ticket_link_flip(text); alter table ticket_links drop column link_type',
  );
}
