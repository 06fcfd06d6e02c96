// Indexes for the ticket lists (docs/protocol.md §7: GetTicketList_V1, GetTicketListByQuery_V1/_V2, …) so
// that a list over 100,000 tickets answers in well under a second.
// - btree (column, number): every list orders by one column with `number` as the unique
//   tie-break, so an index scan (backwards for "descending") feeds LIMIT without a sort;
// - btree on the filter columns (state, assignee, category, open due dates);
// - pg_trgm GIN indexes: SearchText is a case-insensitive substring match (a literal pattern
//   with ~*, see src/domain/ticket-list.ts), which a trigram index answers and a btree cannot.
import type { Knex } from 'knex';

const BTREE = [
  'create index if not exists tickets_creation_date on tickets (creation_date, number)',
  'create index if not exists tickets_last_modified on tickets (last_modified, number)',
  'create index if not exists tickets_priority on tickets (priority, number)',
  'create index if not exists tickets_state on tickets (state)',
  'create index if not exists tickets_assignee on tickets (assignee_id)',
  'create index if not exists tickets_category on tickets (category_id)',
  // The "overdue" query only ever asks for open tickets with a due date.
  `create index if not exists tickets_open_due_date on tickets (due_date) where state <> 'Closed' and due_date is not null`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of BTREE) await knex.raw(sql);
  const trgm = await trigramSchema(knex);
  const ops = `"${trgm}".gin_trgm_ops`;
  await knex.raw(
    `create index if not exists tickets_title_trgm on tickets using gin (title ${ops})`,
  );
  await knex.raw(
    `create index if not exists tickets_description_trgm on tickets using gin (html_description ${ops})`,
  );
  await knex.raw(
    `create index if not exists ticket_comments_text_trgm on ticket_comments using gin (text ${ops})`,
  );
}

/**
 * Installs pg_trgm once per database and returns the schema holding it. An extension exists once
 * per database, whatever the search_path; the gateway (and each test file) may run in its own
 * schema, so the extension must not live in one of those (dropping that schema would drop every
 * other schema's trigram indexes). pg_catalog is always searched, so it is the first choice; a
 * non-superuser may not write there and gets public instead. The operator class is then named
 * with its schema, so the indexes do not depend on the search_path, and queries use the built-in
 * ~* operator, which the index serves wherever the extension lives.
 */
async function trigramSchema(knex: Knex): Promise<string> {
  // Concurrent migrations of several schemas (parallel test files) would race on CREATE EXTENSION.
  await knex.raw(`select pg_advisory_xact_lock(hashtext('acmp-gateway:pg_trgm'))`);
  const installed = async () =>
    (
      await knex.raw(
        `select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'pg_trgm'`,
      )
    ).rows[0]?.nspname as string | undefined;
  const existing = await installed();
  if (existing) return existing;
  try {
    // Nested in the migration's transaction this is a savepoint, so a refusal can be undone.
    await knex.transaction((trx) =>
      trx.raw('create extension if not exists pg_trgm schema pg_catalog'),
    );
  } catch {
    await knex.raw('create extension if not exists pg_trgm schema public');
  }
  const schema = await installed();
  if (!schema)
    throw new Error(
      'pg_trgm could not be installed: the PostgreSQL server must ship the pg_trgm extension (contrib)',
    );
  return schema;
}

export async function down(knex: Knex): Promise<void> {
  // The extension stays: other schemas of the database may use it.
  await knex.raw(`drop index if exists tickets_creation_date, tickets_last_modified, tickets_priority, tickets_state, tickets_assignee,
    tickets_category, tickets_open_due_date, tickets_title_trgm, tickets_description_trgm, ticket_comments_text_trgm`);
}
