// Exact ticket counts without counting tickets (a list over 1,000,000 tickets must cost
// what its page costs). ticket_counts holds signed numbers of tickets per (state, assignee_id,
// category_id), the dimensions the lists filter on: a TotalCount is the sum of a few rows.
// - Statement triggers with transition tables add ONE row per changed group and statement (a
//   create adds +1, a state change -1 and +1, a bulk load of 1,000,000 tickets a few hundred
//   rows), in the writer's own transaction: a rolled-back change leaves nothing behind.
// - Writers only ever INSERT, never update a shared counter row, so concurrent creates never
//   wait on each other (no hot row). Readers sum the rows of their groups in their snapshot.
// - The rows of a group are folded into one from time to time (compactTicketCounts in
//   src/domain/ticket-counts.ts); a fold is one statement, so a reader sees it whole or not at all.
// Also indexes over the open tickets, so that their lists find their page (and a text search its
// matches) without walking the closed tickets of all time.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table ticket_counts (
      state text not null,
      assignee_id uuid,
      category_id uuid,
      n bigint not null
    );

    create function ticket_counts_follow() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into ticket_counts (state, assignee_id, category_id, n)
          select state, assignee_id, category_id, count(*) from new_rows group by 1, 2, 3;
      elsif tg_op = 'DELETE' then
        insert into ticket_counts (state, assignee_id, category_id, n)
          select state, assignee_id, category_id, -count(*) from old_rows group by 1, 2, 3;
      else
        -- Most updates change none of the three: then the groups cancel out and nothing is added.
        insert into ticket_counts (state, assignee_id, category_id, n)
          select state, assignee_id, category_id, sum(d) from (
            select state, assignee_id, category_id, 1 as d from new_rows
            union all
            select state, assignee_id, category_id, -1 from old_rows
          ) changes group by 1, 2, 3 having sum(d) <> 0;
      end if;
      return null;
    end $$;

    create function ticket_counts_truncate() returns trigger language plpgsql as $$
    begin
      delete from ticket_counts;
      return null;
    end $$;

    create trigger tickets_count_insert after insert on tickets referencing new table as new_rows
      for each statement execute function ticket_counts_follow();
    create trigger tickets_count_update after update on tickets referencing old table as old_rows new table as new_rows
      for each statement execute function ticket_counts_follow();
    create trigger tickets_count_delete after delete on tickets referencing old table as old_rows
      for each statement execute function ticket_counts_follow();
    create trigger tickets_count_truncate after truncate on tickets
      for each statement execute function ticket_counts_truncate();
  `);
  // The triggers exist (and hold their lock on tickets until this migration commits), so no
  // write falls between this count and them.
  await knex.raw(`insert into ticket_counts (state, assignee_id, category_id, n)
    select state, assignee_id, category_id, count(*) from tickets group by 1, 2, 3`);

  // "Open tickets", newest first (GetTicketListByQuery_V1): the open tickets are the working set,
  // found at once however old the oldest open one is.
  await knex.raw(
    `create index if not exists tickets_open_creation_date on tickets (creation_date, number) where state <> 'Closed'`,
  );
  // SearchText among open tickets (a States filter without Closed, "Open tickets"): trigram
  // indexes over the open tickets alone hold only the few candidates that can match, where the
  // ones over all tickets (migration 009) hold every ticket of all time with the word.
  const trgm = (
    await knex.raw(
      `select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`,
    )
  ).rows[0].nspname;
  for (const column of ['title', 'html_description']) {
    await knex.raw(
      `create index if not exists tickets_open_${column}_trgm on tickets using gin (${column} "${trgm}".gin_trgm_ops) where state <> 'Closed'`,
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    drop index if exists tickets_open_creation_date, tickets_open_title_trgm, tickets_open_html_description_trgm;
    drop trigger tickets_count_insert on tickets;
    drop trigger tickets_count_update on tickets;
    drop trigger tickets_count_delete on tickets;
    drop trigger tickets_count_truncate on tickets;
    drop function ticket_counts_follow();
    drop function ticket_counts_truncate();
    drop table ticket_counts;
  `);
}
