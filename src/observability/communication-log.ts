// The communication log: every exchange on every transport, bodies redacted, stored in
// PostgreSQL (communication_log, migration 014). Off the request path: the listener only builds
// the row (redacts, cuts) and queues it; a timer writes the queue in batches of one multi-row
// INSERT. The queue is bounded (the oldest rows are dropped and counted), a failed write is
// counted and dropped: the log never holds up, slows without bound or fails a request.
import type { Request, Response } from 'express';
import type { Knex } from 'knex';
import type { CommunicationLogSettings } from '../config';
import type { Exchange, ExchangeListener } from './exchange';
import { redactJsonPairs, redactJsonText, redactSicsJson, redactXml } from './redact';

/** Not logged: the health probe, the console's own calls, the metrics scrape. */
export function isLogged(path: string): boolean {
  return path !== '/health' && path !== '/metrics' && !/^\/console(\/|$)/.test(path);
}

export interface CommunicationLogRow {
  at: Date;
  request_id: string;
  transport: string;
  method: string;
  path: string;
  remote_address: string;
  user_id: string | null;
  user_name: string | null;
  commands: string[];
  result_code: number | null;
  http_status: number;
  duration_ms: number;
  request_content_type: string | null;
  response_content_type: string | null;
  request_body: string;
  response_body: string;
}

export interface CommunicationLogOptions extends Omit<CommunicationLogSettings, 'enabled'> {
  /** How often queued rows are written (default 200 ms). */
  flushIntervalMs?: number;
  /** A batch this large is written at once, without waiting for the timer (default 200). */
  batchRows?: number;
  /** The most rows waiting (default 10 000); beyond it the oldest are dropped. */
  maxQueueRows?: number;
  /** The most body bytes waiting (default 64 MiB); beyond it the oldest are dropped. */
  maxQueueBytes?: number;
  /** How often retention runs (default 10 minutes; 0: only when retention() is called). */
  retentionIntervalMs?: number;
  log?: (message: string, error?: unknown) => void;
}

export class CommunicationLog {
  /** Handed to buildApp({ exchangeListeners }). */
  readonly listener: ExchangeListener;
  /** Rows dropped because the queue was full, and rows lost with a failed write. */
  dropped = 0;
  failed = 0;
  written = 0;
  private queue: CommunicationLogRow[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private timer: NodeJS.Timeout;
  private retentionTimer?: NodeJS.Timeout;
  private closed = false;
  private lastComplaint = 0;

  constructor(
    private readonly db: Knex,
    private readonly options: CommunicationLogOptions,
  ) {
    const listener: ExchangeListener = (exchange, req, res) => {
      if (!this.closed && isLogged(exchange.path)) this.enqueue(this.rowOf(exchange, req, res));
    };
    listener.captureBodies = isLogged;
    // Bodies are redacted before they are cut, so a large attachment still shows its size.
    listener.maxCaptureBytes = Math.max(16 * 1024 * 1024, options.maxBodyBytes);
    // Raw request bytes are only the fallback (express.raw leaves the whole body in req.body; the
    // bus's parsed JSON is in req.body too): keeping little of them costs no memory on uploads.
    listener.maxRequestCaptureBytes = options.maxBodyBytes;
    this.listener = listener;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 200).unref();
    const every = options.retentionIntervalMs ?? 10 * 60_000;
    if (every > 0) {
      const run = () =>
        void this.retention().catch((e) => this.complain('communication log retention failed', e));
      this.retentionTimer = setInterval(run, every).unref();
      setTimeout(run, Math.min(every, 5000)).unref();
    }
  }

  /** The row of a finished exchange: bodies redacted, then cut to ACMP_LOG_MAX_BODY_BYTES. */
  rowOf(exchange: Exchange, req: Request, res: Response): CommunicationLogRow {
    const { trace, bodies } = exchange;
    const sics = exchange.transport === 'sics';
    let response = bodies ? this.body(bodies.response, bodies.responseTruncated, sics) : '';
    // A publish to the ACMP router answers {MessageId}; the ICQL answer went to a queue: shown alongside.
    if (trace.answer !== undefined)
      response = withQueuedAnswer(response, redactXml(trace.answer), this.options.maxBodyBytes);
    const type = res.getHeader('content-type');
    return {
      at: exchange.startedAt,
      request_id: exchange.requestId,
      transport: exchange.transport,
      method: exchange.method,
      path: exchange.path.slice(0, 2000),
      remote_address: exchange.remoteAddress,
      user_id: trace.user?.id ?? null,
      user_name: trace.user?.name ?? null,
      commands: trace.commands,
      result_code: trace.resultCode ?? null,
      http_status: exchange.status,
      duration_ms: exchange.durationMs,
      request_content_type: clean(req.get('content-type') ?? '').slice(0, 500) || null,
      response_content_type: type === undefined ? null : clean(String(type)).slice(0, 500),
      request_body: bodies ? this.requestBody(bodies, req, sics) : '',
      response_body: response,
    };
  }

  private requestBody(
    bodies: NonNullable<Exchange['bodies']>,
    req: Request,
    sics: boolean,
  ): string {
    // The bus's JSON parser keeps no raw text: beyond the raw capture, its parse (the same JSON) is whole.
    if (
      bodies.requestTruncated &&
      req.body &&
      typeof req.body === 'object' &&
      !Buffer.isBuffer(req.body)
    ) {
      return this.body(Buffer.from(JSON.stringify(req.body), 'utf8'), false, sics);
    }
    return this.body(bodies.request, bodies.requestTruncated, sics);
  }

  private body(bytes: Buffer | string, truncated: boolean, sics: boolean): string {
    if (!bytes.length) return '';
    // XML redaction on every body (a JSON string may hold XML, any transport may be sent either);
    // JSON parsed only when it looks like JSON (a failed parse costs more than the rest), else
    // its "Key": value pairs are still redacted as text.
    const xml = redactXml(clean(typeof bytes === 'string' ? bytes : bytes.toString('utf8')));
    const json = /^\s*[[{]/.test(xml);
    const text = json ? (sics ? redactSicsJson(xml) : redactJsonText(xml)) : redactJsonPairs(xml);
    return cut(
      text,
      this.options.maxBodyBytes,
      truncated ? `the body was longer than the ${bytes.length} bytes kept` : undefined,
    );
  }

  private enqueue(row: CommunicationLogRow): void {
    this.queue.push(row);
    this.queuedBytes += row.request_body.length + row.response_body.length;
    while (
      this.queue.length > (this.options.maxQueueRows ?? 10_000) ||
      this.queuedBytes > (this.options.maxQueueBytes ?? 64 * 1024 * 1024)
    ) {
      const old = this.queue.shift()!;
      this.queuedBytes -= old.request_body.length + old.response_body.length;
      this.dropped++;
    }
    if (this.queue.length >= (this.options.batchRows ?? 200)) setImmediate(() => void this.flush());
  }

  /** Writes what is queued (one INSERT per batch); resolves when it is written or given up. */
  flush(): Promise<void> {
    if (this.writing)
      return this.writing.then(() => (this.queue.length ? this.flush() : undefined));
    if (!this.queue.length) return Promise.resolve();
    const batch = this.queue.splice(0, this.options.batchRows ?? 200);
    this.queuedBytes -= batch.reduce(
      (n, r) => n + r.request_body.length + r.response_body.length,
      0,
    );
    this.writing = this.db('communication_log')
      .insert(batch)
      .then(
        () => {
          this.written += batch.length;
        },
        (e) => {
          this.failed += batch.length;
          this.complain(
            `communication log: ${batch.length} exchanges not written (${this.failed} in all)`,
            e,
          );
        },
      )
      .finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** Deletes rows older than the retention, then the oldest beyond the size budget. */
  async retention(): Promise<{ byAge: number; bySize: number }> {
    const byAge = await this.db('communication_log')
      .where(
        'at',
        '<',
        this.db.raw(`now() - make_interval(days => ?)`, [this.options.retentionDays]),
      )
      .del();
    // Live data by its stored size (TOAST compressed; 200 bytes per row for the rest), newest
    // first: everything beyond the budget goes. Measured, not pg_total_relation_size, which does
    // not shrink after a delete (the space is reused, not given back).
    const trimmed = await this.db.raw(
      `delete from communication_log where id in (
         select id from (
           select id, sum(pg_column_size(request_body) + pg_column_size(response_body) + 200) over (order by at desc, id desc) as running
           from communication_log) sized
         where running > ?)`,
      [this.options.maxBytes],
    );
    return { byAge, bySize: trimmed.rowCount ?? 0 };
  }

  /** Stops the timers and writes what is still queued (main.ts: before the database closes). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearInterval(this.retentionTimer);
    while (this.queue.length || this.writing) await this.flush();
  }

  private complain(message: string, error: unknown): void {
    // At most one line a minute: a database that is down must not flood the output.
    if (Date.now() - this.lastComplaint < 60_000) return;
    this.lastComplaint = Date.now();
    (this.options.log ?? console.error)(message, error instanceof Error ? error.message : error);
  }
}

/** PostgreSQL text holds no NUL character. */
const clean = (text: string) => (text.includes('\0') ? text.replace(/\0/g, '\uFFFD') : text);

function cut(text: string, max: number, why?: string): string {
  if (text.length <= max && !why) return text;
  const kept = text.length > max ? text.slice(0, max) : text;
  return `${kept}\n[… truncated: ${why ?? `${text.length} characters in all, the first ${max} kept`}]`;
}

function withQueuedAnswer(response: string, answer: string, max: number): string {
  try {
    return JSON.stringify({ ...JSON.parse(response), QueuedAnswer: cut(answer, max) });
  } catch {
    return response;
  }
}

/** The log main.ts runs: none when ACMP_LOG=off (no bodies are even captured then). */
export function startCommunicationLog(
  db: Knex,
  settings: CommunicationLogSettings,
  options: Partial<CommunicationLogOptions> = {},
): CommunicationLog | undefined {
  return settings.enabled ? new CommunicationLog(db, { ...settings, ...options }) : undefined;
}
