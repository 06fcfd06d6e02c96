// The console's reads of the communication log (table communication_log, written batched by
// src/observability/communication-log.ts): the latest exchanges with filters, one exchange with
// its bodies, and per-command figures over the last hour computed by PostgreSQL.
import type { Knex } from 'knex';

export interface ExchangeFilter {
  /** "SaveTicket_V4" (exact) or "SaveTicket" (every version). */
  command?: string;
  resultCode?: number;
  /** Part of the user's name, ignoring case. */
  user?: string;
  from?: Date;
  to?: Date;
  /** Paging back: rows older than this id. */
  before?: number;
  /** The live tail: rows newer than this id, oldest first. */
  after?: number;
  limit: number;
}

export interface ExchangeSummary {
  id: number;
  at: string;
  requestId: string;
  transport: string;
  method: string;
  path: string;
  remoteAddress: string;
  userName: string | null;
  commands: string[];
  resultCode: number | null;
  httpStatus: number;
  durationMs: number;
}

export interface ExchangeDetail extends ExchangeSummary {
  userId: string | null;
  requestContentType: string | null;
  responseContentType: string | null;
  requestBody: string;
  responseBody: string;
}

const SUMMARY = `id, at, request_id, transport, method, path, remote_address, user_name, commands, result_code, http_status, duration_ms`;

/** The console's own calls (its page, polls and API) are not what operators look for. */
const NOT_CONSOLE = `path not like '/console%'`;

export async function listExchanges(db: Knex, f: ExchangeFilter): Promise<ExchangeSummary[]> {
  const where: string[] = [NOT_CONSOLE];
  const bindings: Knex.Value[] = [];
  const add = (sql: string, ...values: Knex.Value[]) => {
    where.push(sql);
    bindings.push(...values);
  };
  if (f.command) {
    if (/_V\d+$/.test(f.command)) add('? = any(commands)', f.command);
    else add(`exists (select 1 from unnest(commands) c where c like ? || '\\_V%')`, f.command);
  }
  if (f.resultCode !== undefined) add('result_code = ?', f.resultCode);
  if (f.user)
    add(
      `user_name ilike '%' || ? || '%'`,
      f.user.replace(/[\\%_]/g, (c) => `\\${c}`),
    );
  if (f.from) add('at >= ?', f.from);
  if (f.to) add('at < ?', f.to);
  if (f.before !== undefined) add('id < ?', f.before);
  if (f.after !== undefined) add('id > ?', f.after);
  const order = f.after !== undefined ? 'asc' : 'desc';
  const { rows } = await db.raw(
    `select ${SUMMARY} from communication_log where ${where.join(' and ')} order by id ${order} limit ?`,
    [...bindings, f.limit],
  );
  return rows.map(summary);
}

export async function exchangeById(db: Knex, id: number): Promise<ExchangeDetail | undefined> {
  const { rows } = await db.raw(
    `select ${SUMMARY}, user_id, request_content_type, response_content_type, request_body, response_body from communication_log where id = ?`,
    [id],
  );
  const r = rows[0];
  return (
    r && {
      ...summary(r),
      userId: r.user_id,
      requestContentType: r.request_content_type,
      responseContentType: r.response_content_type,
      requestBody: r.request_body,
      responseBody: r.response_body,
    }
  );
}

export interface Figures {
  count: number;
  p50: number;
  p99: number;
  /** Share of exchanges answered with a ResultCode other than 0, 0 to 1. */
  errorShare: number;
}

export interface CommandChart extends Figures {
  command: string;
  /** One point per minute that had exchanges, oldest first; minute = start of the minute (ISO). */
  minutes: (Figures & { minute: string })[];
}

/** Rate, latency p50/p99 and error share per command, over the last hour, by minute and in all. */
export async function commandCharts(
  db: Knex,
): Promise<{ since: string; until: string; commands: CommandChart[] }> {
  const figures = `count(*)::int as count,
    percentile_cont(0.5) within group (order by duration_ms) as p50,
    percentile_cont(0.99) within group (order by duration_ms) as p99,
    avg(case when coalesce(result_code, 0) <> 0 then 1.0 else 0.0 end)::float8 as error_share`;
  const lastHour = `from communication_log l cross join lateral unnest(l.commands) as c(command) where l.at > now() - interval '1 hour'`;
  const [totals, minutes, clock] = await Promise.all([
    db.raw(`select command, ${figures} ${lastHour} group by command order by command`),
    db.raw(
      `select command, date_trunc('minute', at) as minute, ${figures} ${lastHour} group by command, minute order by command, minute`,
    ),
    db.raw(`select now() - interval '1 hour' as since, now() as until`),
  ]);
  const fig = (r: any): Figures => ({
    count: r.count,
    p50: Number(r.p50),
    p99: Number(r.p99),
    errorShare: Number(r.error_share),
  });
  const charts = totals.rows.map(
    (r: any): CommandChart => ({ command: r.command, ...fig(r), minutes: [] }),
  );
  const byCommand = new Map<string, CommandChart>(charts.map((c: CommandChart) => [c.command, c]));
  for (const r of minutes.rows)
    byCommand.get(r.command)!.minutes.push({ minute: new Date(r.minute).toISOString(), ...fig(r) });
  const { since, until } = clock.rows[0];
  return {
    since: new Date(since).toISOString(),
    until: new Date(until).toISOString(),
    commands: charts,
  };
}

function summary(r: any): ExchangeSummary {
  return {
    id: Number(r.id), // bigint arrives as a string; ids stay far below 2^53
    at: new Date(r.at).toISOString(),
    requestId: r.request_id,
    transport: r.transport,
    method: r.method,
    path: r.path,
    remoteAddress: r.remote_address,
    userName: r.user_name,
    commands: r.commands,
    resultCode: r.result_code,
    httpStatus: r.http_status,
    durationMs: r.duration_ms,
  };
}
