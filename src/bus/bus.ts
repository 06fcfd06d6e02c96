// The bus of one gateway process: its limits, and ONE dedicated PostgreSQL connection that
// LISTENs for new messages (NOTIFY from enqueue, whichever gateway instance published) and
// wakes the consumers waiting on that target. Opened on the first long poll; close() ends it
// and answers every waiting consumer.
import type { Knex } from 'knex';
import pg from 'pg';
import type { Logger } from '../observability/logger';
import { type BusLimits, DEFAULT_BUS_LIMITS } from './limits';
import { type Sweep, sweep } from './store';

/** The NOTIFY channel; the payload is the target id. */
export const BUS_CHANNEL = 'acmp_bus';
/** A waiting consumer looks again this often even without a notification (a lost connection, say). */
export const SAFETY_RECHECK_MS = 5000;
/** Expired messages and idle routers and targets are swept this often, or more often for a short idle time. */
const SWEEP_EVERY_MS = 60_000;

export class Bus {
  readonly channel = BUS_CHANNEL;
  private client?: pg.Client;
  private connecting?: Promise<void>;
  private readonly waiters = new Map<string, Set<() => void>>();
  private closed = false;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly swept = new Set<(s: Sweep) => void>();

  constructor(
    readonly db: Knex,
    readonly limits: BusLimits = DEFAULT_BUS_LIMITS,
    private readonly log: Logger = () => {},
  ) {
    this.sweepTimer = setInterval(
      () => void this.sweep().catch(() => {}), // the next sweep tries again
      Math.max(1000, Math.min(SWEEP_EVERY_MS, limits.idleMs / 4)),
    ).unref();
  }

  /** Deletes expired messages and idle routers and targets now; listeners hear what went. */
  async sweep(): Promise<Sweep> {
    const result = await sweep(this.db, this.limits);
    for (const listener of this.swept) listener(result);
    return result;
  }

  /** Called after every sweep with what it deleted (the metrics count dropped messages). */
  onSweep(listener: (s: Sweep) => void): void {
    this.swept.add(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Registers interest in `targetId` before the caller looks at the queue (so a message
   * published in between is not missed) and returns a promise that resolves on a notification
   * for it, after `ms`, or on close, whichever comes first. `cancel` when done waiting.
   */
  async subscribe(
    targetId: string,
    ms: number,
  ): Promise<{ woken: Promise<void>; cancel: () => void }> {
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const set = this.waiters.get(targetId) ?? new Set();
    this.waiters.set(targetId, set);
    const done = () => {
      clearTimeout(timer);
      set.delete(done);
      if (!set.size && this.waiters.get(targetId) === set) this.waiters.delete(targetId);
      wake();
    };
    const timer = setTimeout(done, ms);
    set.add(done);
    if (this.closed) done();
    else
      await this.listen().catch((e) =>
        this.log('bus: LISTEN connection failed; consumers re-check every few seconds', e),
      );
    return { woken, cancel: done };
  }

  private listen(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= (async () => {
      // The same connection settings as knex's pool (src/db/connection.ts).
      const settings = (this.db.client as unknown as { connectionSettings: pg.ClientConfig })
        .connectionSettings;
      const client = new pg.Client({ ...settings, query_timeout: undefined });
      client.on('notification', (n) => this.wake(n.payload ?? ''));
      client.on('error', (e) => {
        // Waiters re-check now and reconnect on their next wait.
        this.log('bus: LISTEN connection lost', e);
        if (this.client === client) this.client = undefined;
        client.end().catch(() => {});
        this.wakeAll();
      });
      await client.connect();
      await client.query(`listen ${BUS_CHANNEL}`);
      if (this.closed) return void (await client.end().catch(() => {}));
      this.client = client;
    })().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private wake(targetId: string): void {
    for (const done of [...(this.waiters.get(targetId) ?? [])]) done();
  }

  private wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const done of [...set]) done();
  }

  /** Stops listening; waiting consumers are answered (with what is there, usually nothing). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.wakeAll();
    await this.connecting?.catch(() => {});
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
