// The communication log: one row per HTTP exchange on any transport, bodies already
// redacted by the writer (src/observability/communication-log.ts). Read newest first by the
// console (filters on command, ResultCode, user, time) and by `npm run log -- export`.
import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create table communication_log (
      id bigserial primary key,
      at timestamptz not null, -- start of the exchange
      request_id text not null,
      transport text not null check (transport in ('xml', 'soap', 'json', 'sics', 'http')),
      method text not null,
      path text not null,
      remote_address text not null,
      user_id text null,
      user_name text null,
      commands text[] not null default '{}',
      result_code int null,
      http_status int not null,
      duration_ms real not null,
      request_content_type text null,
      response_content_type text null,
      request_body text not null,
      response_body text not null
    );
    -- Every index is paid by every logged exchange (the log may cost at most 5 %), so
    -- only these two: time (retention, the console's last-hour charts, newest first) and
    -- ResultCode (finding the rare failures). The console pages by id (the primary key) and
    -- filters command and user within those pages; a log capped at ACMP_LOG_MAX_MB stays small.
    create index communication_log_at on communication_log (at desc, id desc);
    create index communication_log_result on communication_log (result_code, at desc);
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table communication_log');
}
