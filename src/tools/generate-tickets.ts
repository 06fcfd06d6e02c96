// Bulk test data: realistic tickets (titles, ~1 KB HTML descriptions, states, priorities,
// assignees, categories and due dates, about half of them with comments) built inside PostgreSQL
// with INSERT … SELECT generate_series, so 100,000 tickets take seconds, not minutes. Used by the
// list tests and the benchmark; as a CLI it fills the database the gateway uses:
//   npx ts-node --transpile-only src/tools/generate-tickets.ts 100000
// Assignees and categories are whatever the loaded seed holds (the demo seed by default).
import type { Knex } from 'knex';

const SUBJECTS = [
  'Printer on floor 3',
  'Laptop',
  'VPN connection',
  'Outlook',
  'Shared drive',
  'Docking station',
  'Monitor',
  'Phone',
  'Wi-Fi in meeting room',
  'ERP client',
  'Password',
  'Scanner',
  'Teams meeting',
  'Backup job',
  'Web shop',
  'Badge reader',
];
const PROBLEMS = [
  'does not work',
  'is very slow',
  'shows an error message',
  'cannot be reached',
  'needs to be replaced',
  'crashes on start',
  'asks for a licence',
  'has stopped syncing',
  'prints blank pages',
  'lost its settings',
  'needs an update',
  'is missing',
];
const SENTENCES = [
  'The user reports that the problem started after the last update.',
  'Restarting the device did not help, the error comes back after a few minutes.',
  'Several colleagues in the same department are affected as well.',
  'The event log shows repeated warnings from the network adapter driver.',
  'A workaround is to use the web version until the client is repaired.',
  'Please check whether the device is still covered by the warranty.',
  'The issue can be reproduced on a second workstation with the same image.',
  'The customer needs the system again before the end of the week.',
  'Logs were collected and attached to the asset record for analysis.',
  'The configuration was compared with a working machine without differences.',
  'Remote support was offered but the user was not at the desk.',
  'After clearing the cache the application started normally once.',
  'The firmware version is older than the one recommended by the vendor.',
  'The license server answered with a timeout during the check.',
  'Spare parts were ordered from the usual supplier.',
  'The user will be on holiday next week, please coordinate a date.',
  'The cabling in the office was checked and looks fine.',
  'Antivirus quarantined a file belonging to the application.',
  'The change request for the new version is still waiting for approval.',
  'A similar ticket was solved last month by reinstalling the driver.',
];
const STATES = [
  'Closed',
  'Closed',
  'Closed',
  'New',
  'Open',
  'Open',
  'InProgress',
  'InProgress',
  'Waiting',
  'Open',
];

export interface GeneratedTickets {
  tickets: number;
  comments: number;
}

/** Inserts `count` tickets (numbers continue the sequence) and their comments in one transaction. */
export async function generateTickets(db: Knex, count: number): Promise<GeneratedTickets> {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`generateTickets: count must be a whole number above 0, not ${count}`);
  const result = await db.transaction(async (trx) => {
    await trx.raw(`set local acmp.bulk_load = 'on'`); // keep the generated dates (migration 010)
    const assignees = (await trx('assignees').select('id', 'name').orderBy('id')) as {
      id: string;
      name: string;
    }[];
    const categories = (await trx('categories').pluck('id').orderBy('id')) as string[];
    const { rows } = await trx
      .raw(GENERATE_SQL, {
        count,
        subjects: SUBJECTS,
        problems: PROBLEMS,
        sentences: SENTENCES,
        states: STATES,
        assignees: assignees.map((a) => a.id),
        assigneeNames: assignees.map((a) => a.name),
        categories,
      })
      .options({ query_timeout: 2_147_483_647 }); // one statement for all tickets: not bound by ACMP_DB_QUERY_TIMEOUT_MS (the bench loads through the gateway's pool)
    return { tickets: Number(rows[0].tickets), comments: Number(rows[0].comments) };
  });
  // Fresh statistics, so the planner sees the new data at once (it would wait for autovacuum).
  await db.raw('analyze tickets, ticket_comments');
  return result;
}

// Every choice is a function of the row number g (pick() hashes it), so a run is reproducible
// apart from ids and dates relative to now(). Ticket g is created (count - g) * 5 minutes ago:
// higher numbers are newer tickets, as in real use. Tickets older than 30 days are nearly all
// closed; newer ones spread over every state. 1 in 7 tickets is unassigned, 1 in 9 has no
// category, 1 in 4 no due date; due dates fall from 5 days before to 24 days after creation.
// Ticket number n gets n % 3 comments.
const pick = (salt: number, n: string) =>
  `(1 + (hashint4(g * 16 + ${salt})::bigint + 2147483648) % ${n})::int`;

const GENERATE_SQL = `
  with params as (
    select :subjects::text[] as subjects, :problems::text[] as problems, :sentences::text[] as sentences,
           :states::text[] as states, :assignees::uuid[] as assignees, :assigneeNames::text[] as assignee_names,
           :categories::uuid[] as categories
  ), rows as (
    select g, p.*, created, least(now(), created + make_interval(hours => ${pick(1, '50')} - 1)) as modified,
           case when created < now() - interval '30 days' and ${pick(2, '10')} > 1 then 'Closed'
                else p.states[${pick(3, 'cardinality(p.states)')}] end as state
    from generate_series(1, :count) g cross join params p
    cross join lateral (select now() - make_interval(mins => (:count - g) * 5 + g % 5) as created) c
  ), inserted as (
    insert into tickets (id, title, html_description, category_id, priority, state, assignee_id, due_date, source,
                         closed_date, creation_date, last_modified)
    select gen_random_uuid(),
           subjects[${pick(4, 'cardinality(subjects)')}] || ' ' || problems[${pick(5, 'cardinality(problems)')}],
           '<p>' || (select string_agg(sentences[1 + (g * 7 + k * 13 + (g % 97) * k) % cardinality(sentences)], ' ' order by k)
                     from generate_series(1, 14) k) || '</p><p>Reported via ticket generator, case ' || g || '.</p>',
           case when g % 9 = 0 or cardinality(categories) = 0 then null else categories[${pick(6, 'cardinality(categories)')}] end,
           ${pick(7, '5')},
           state,
           case when g % 7 = 0 or cardinality(assignees) = 0 then null else assignees[${pick(8, 'cardinality(assignees)')}] end,
           case when g % 4 = 0 then null else created + make_interval(days => ${pick(9, '30')} - 6) end,
           (array['Email', 'Phone', 'Web', 'SelfService', 'Api'])[${pick(10, '5')}],
           case when state = 'Closed' then modified end,
           created,
           modified
    from rows
    returning id, number, creation_date
  ), comments as (
    insert into ticket_comments (id, ticket_id, text, creator_id, creator, creation_date)
    select gen_random_uuid(), i.id,
           p.sentences[1 + (i.number * 11 + c) % cardinality(p.sentences)] || ' ' || p.sentences[1 + (i.number + c * 3) % cardinality(p.sentences)],
           p.assignees[a.k], coalesce(p.assignee_names[a.k], ''),
           i.creation_date + make_interval(mins => 30 * c)
    from inserted i cross join params p
    cross join lateral generate_series(1, i.number % 3) c
    cross join lateral (select case when cardinality(p.assignees) = 0 then null else 1 + (i.number + c) % cardinality(p.assignees) end as k) a
    returning 1
  )
  select (select count(*) from inserted) as tickets, (select count(*) from comments) as comments`;

if (require.main === module) {
  (async () => {
    const { loadConfig } = await import('../config');
    const { connect, migrate } = await import('../db/connection');
    const { startEmbedded } = await import('../db/embedded');
    const count = Number(process.argv[2] ?? 100000);
    const config = loadConfig();
    const embedded = config.databaseUrl
      ? undefined
      : await startEmbedded(config.dataDir, config.embeddedPort);
    const db = connect(config.databaseUrl ?? embedded!.url, { queryTimeoutMs: 0 }); // a bulk load may take long
    try {
      await migrate(db);
      const started = Date.now();
      const made = await generateTickets(db, count);
      console.log(
        `generated ${made.tickets} tickets and ${made.comments} comments in ${Date.now() - started} ms`,
      );
    } finally {
      await db.destroy();
      await embedded?.stop();
    }
  })().catch((e: Error) => {
    console.error(`generate-tickets failed: ${e.message}`);
    process.exit(1);
  });
}
