// Who a session (or the open mode) acts as, kept in this process's memory for at most a second,
// so that a busy client costs one caller statement per second instead of one per request.
// Kept honest by PostgreSQL: the triggers of migration 017 NOTIFY acmp_identity on every change
// that can end a session or change a caller's permissions, whichever process or tool made it,
// and every process drops all it keeps when it hears one. The second bounds what the
// notifications cannot see (a session reaching its end or its idle limit) and keeps last_seen
// written. While the LISTEN connection is down, nothing is kept: every request asks PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';

export const IDENTITY_CHANNEL = 'acmp_identity';
/** The longest a caller is answered from memory. */
export const CALLER_CACHE_MS = 1000;
/** Callers kept at most; the oldest goes first. */
const MAX_ENTRIES = 10_000;

type Log = (message: string, error?: unknown) => void;

/** The cache serving the gateway on this pool, if one was started for it. */
const caches = new WeakMap<Knex, CallerCache>();

export function callerCacheOf(db: Knex): CallerCache | undefined {
  return caches.get(db);
}

export class CallerCache {
  private readonly entries = new Map<string, { value: unknown; at: number }>();
  /** Moves on every notification: a read that started before one is not kept. */
  private generation = 0;
  private client?: pg.Client;
  private closed = false;
  private readonly sentinels = new Map<string, () => void>();
  private retry?: NodeJS.Timeout;

  private constructor(
    private readonly db: Knex,
    private readonly log: Log,
  ) {
    this.ready = this.listen().catch((e) => this.lost(e));
  }

  /** Resolves once the first LISTEN attempt is over (connected or not). */
  readonly ready: Promise<void>;

  /** Serves sessionCaller and openModeCaller on `db` from memory once it listens (ready). */
  static start(db: Knex, log: Log = () => {}): CallerCache {
    const cache = new CallerCache(db, log);
    caches.set(db, cache);
    return cache;
  }

  get listening(): boolean {
    return this.client !== undefined;
  }

  /** `key`'s value from memory when it is fresh, else from `load` (kept when nothing changed meanwhile). Undefined is never kept. */
  async get<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < CALLER_CACHE_MS && this.client) return hit.value as T;
    const generation = this.generation;
    const value = await load();
    if (value !== undefined && this.client && generation === this.generation) {
      this.entries.delete(key);
      if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, at: now });
    }
    return value;
  }

  /** Drops everything kept (a change this process made itself, before its notification arrives). */
  clear(): void {
    this.generation++;
    this.entries.clear();
  }

  /**
   * Resolves once every change committed before the call has been heard: a notification of our
   * own goes round through PostgreSQL, which delivers them in commit order.
   */
  async settled(): Promise<void> {
    if (!this.client) return;
    const id = randomUUID();
    const heard = new Promise<void>((resolve) => this.sentinels.set(id, resolve));
    await this.db.raw('select pg_notify(?, ?)', [IDENTITY_CHANNEL, id]);
    await heard;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    if (caches.get(this.db) === this) caches.delete(this.db);
    const client = this.client;
    this.client = undefined;
    this.clear();
    for (const resolve of this.sentinels.values()) resolve();
    await client?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    // The same connection settings as knex's pool (src/db/connection.ts).
    const settings = (this.db.client as unknown as { connectionSettings: pg.ClientConfig })
      .connectionSettings;
    const client = new pg.Client({ ...settings, query_timeout: undefined });
    client.on('notification', (n) => {
      this.clear();
      const sentinel = this.sentinels.get(n.payload ?? '');
      if (sentinel) {
        this.sentinels.delete(n.payload!);
        sentinel();
      }
    });
    client.on('error', (e) => {
      if (this.client === client) this.lost(e);
      client.end().catch(() => {});
    });
    client.on(
      'end',
      () => this.client === client && this.lost(new Error('the LISTEN connection ended')),
    );
    await client.connect();
    await client.query(`listen ${IDENTITY_CHANNEL}`);
    if (this.closed) return void (await client.end().catch(() => {}));
    this.clear(); // nothing kept from before we listened
    this.client = client;
  }

  /** The LISTEN connection failed: keep nothing, and try again in a few seconds. */
  private lost(error: unknown): void {
    this.client = undefined;
    this.clear();
    for (const resolve of this.sentinels.values()) resolve();
    this.sentinels.clear();
    if (this.closed) return;
    this.log(
      'callers: LISTEN connection lost; every request reads its caller from PostgreSQL until it is back',
      error,
    );
    clearTimeout(this.retry);
    this.retry = setTimeout(() => void this.listen().catch((e) => this.lost(e)), 5000).unref();
  }
}
