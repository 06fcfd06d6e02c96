// A ticket's LastModified also moves when its comments, attachments, working times or costs
// change, so that GetTicketListByQuery_V2's ModifiedSince finds every ticket with news (a
// synchronising client relies on that). Statement triggers with transition tables: one UPDATE
// per statement, whatever the number of rows. Seed loading and the ticket generator set
// acmp.bulk_load to keep the dates they load.
import type { Knex } from 'knex';

const TABLES = ['ticket_comments', 'ticket_attachments', 'ticket_working_times', 'ticket_costs'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function touch_tickets_of_entries() returns trigger language plpgsql as $$
    begin
      if coalesce(current_setting('acmp.bulk_load', true), '') = 'on' then
        return null;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        update tickets set last_modified = now() where id in (select ticket_id from new_rows) and last_modified <> now();
      end if;
      if tg_op in ('DELETE', 'UPDATE') then
        update tickets set last_modified = now() where id in (select ticket_id from old_rows) and last_modified <> now();
      end if;
      return null;
    end $$;
  `);
  for (const table of TABLES) {
    await knex.raw(`
      create trigger ${table}_touch_insert after insert on ${table} referencing new table as new_rows
        for each statement execute function touch_tickets_of_entries();
      create trigger ${table}_touch_update after update on ${table} referencing old table as old_rows new table as new_rows
        for each statement execute function touch_tickets_of_entries();
      create trigger ${table}_touch_delete after delete on ${table} referencing old table as old_rows
        for each statement execute function touch_tickets_of_entries();
    `);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of TABLES) {
    await knex.raw(
      `drop trigger ${table}_touch_insert on ${table}; drop trigger ${table}_touch_update on ${table}; drop trigger ${table}_touch_delete on ${table};`,
    );
  }
  await knex.raw('drop function touch_tickets_of_entries()');
}
