// Every change that can end a session or change what a caller may do NOTIFYs acmp_identity, so
// that every gateway process drops the callers it keeps in memory (src/identity/caller-cache.ts):
// a logout or a new login on a session id, a session's end moved or its last use set back, a
// user edited, disabled or deleted, roles edited, the settings (the open mode's ApiUser) changed.
// Marking a session used (last_seen moved forward, at most every 30 s) notifies nobody.
import type { Knex } from 'knex';

const STATEMENT_TABLES = ['assignees', 'roles', 'settings'];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`
    create function acmp_identity_changed() returns trigger language plpgsql as $$
    begin
      perform pg_notify('acmp_identity', '');
      return null;
    end $$;
    create trigger sessions_identity_changed after update on sessions for each row
      when (new.id is distinct from old.id or new.user_id is distinct from old.user_id or new.ends_at is distinct from old.ends_at or new.last_seen < old.last_seen)
      execute function acmp_identity_changed();
    create trigger sessions_identity_ended after delete on sessions for each row execute function acmp_identity_changed();
    create trigger sessions_identity_truncated after truncate on sessions for each statement execute function acmp_identity_changed();
    ${STATEMENT_TABLES.map(
      (t) =>
        `create trigger ${t}_identity_changed after insert or update or delete or truncate on ${t} for each statement execute function acmp_identity_changed();`,
    ).join('\n    ')}
  `);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`
    ${STATEMENT_TABLES.map((t) => `drop trigger ${t}_identity_changed on ${t};`).join('\n    ')}
    drop trigger sessions_identity_truncated on sessions;
    drop trigger sessions_identity_ended on sessions;
    drop trigger sessions_identity_changed on sessions;
    drop function acmp_identity_changed();
  `);
}
