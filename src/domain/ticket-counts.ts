// Exact numbers of tickets per (state, assignee, category) from ticket_counts (migration 015),
// which triggers keep in step with tickets: summing a few rows instead of counting a million.
import type { Knex } from 'knex';

/**
 * A sum that read more rows than groups by this many folds the table (one row per group)
 * afterwards. Triggers add a row per changed group and statement, so between folds the rows
 * grow with the writes; a folded table has as many rows as there are groups, however many.
 */
export const COMPACT_AFTER_EXTRA_ROWS = 64;

/** Over ticket_counts aliased `t`, with conditions on t.state, t.assignee_id, t.category_id: the number of tickets. */
export const TICKETS_COUNTED = 'coalesce(sum(t.n), 0)';

/** Over the same rows: how many more rows than groups were summed (folding would spare them). */
export const EXTRA_COUNTER_ROWS =
  'count(*) - count(distinct (t.state, t.assignee_id, t.category_id))';

/**
 * Replaces the rows of each group by one holding their sum, in one statement: a concurrent reader
 * sees the rows before or after, never half. A second fold at the same time does nothing (the
 * advisory lock); one that started earlier in another process skips the rows the first deleted.
 */
export async function compactTicketCounts(db: Knex): Promise<void> {
  await db.raw(`
    with fold as (select pg_try_advisory_xact_lock(hashtext('acmp-gateway:ticket_counts:' || current_schema())) as mine),
    gone as (delete from ticket_counts where (select mine from fold) returning state, assignee_id, category_id, n)
    insert into ticket_counts (state, assignee_id, category_id, n)
      select state, assignee_id, category_id, sum(n) from gone group by 1, 2, 3 having sum(n) <> 0`);
}
