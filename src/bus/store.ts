// Routers, targets and queued messages in PostgreSQL (migration 012_bus). Everything here is
// scoped to one user: the session's user (docs/protocol.md §8.2). Router and target names are matched
// case-insensitively, routing keys exactly.
import type { Knex } from 'knex';
import { preparedQuery } from '../db/connection';
import type { BusLimits } from './limits';

/** A refusal the SICS transport answers as JSON {ErrorCode, Error} with this HTTP status. */
export class BusError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Router {
  id: string;
  name: string;
}

export interface Target {
  id: string;
  name: string;
  routerId: string;
}

export interface QueuedMessage {
  MessageId: string;
  Body: string;
  Routing_Key: string;
  PublishedAt: string;
  /** 1 on a message's first delivery, one more on each delivery after a lease ran out. */
  DeliveryCount: number;
  /** This delivery's lease: what POST /Ack's LeaseIds name (only for Manual acknowledgement). */
  LeaseId?: string;
  /** The same lease, also for Automatic acknowledgement, which removes the message once its answer is written. */
  [LEASE]?: string;
}

/** The lease of a taken message, kept off the wire (a symbol key: JSON leaves it out). */
export const LEASE = Symbol('lease');

/** Publishes to this router name (any case) go to the gateway itself: ICQL in, ICQL answer on the callback. */
export const ACMP_ROUTER = 'ACMP';

export const isAcmpRouter = (name: string) => name.toLowerCase() === ACMP_ROUTER.toLowerCase();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function findRouter(
  db: Knex,
  userId: string,
  ref: string,
): Promise<Router | undefined> {
  const q = db('bus_routers').first('id', 'name').where({ user_id: userId });
  const row = await (UUID.test(ref)
    ? q.andWhere((w) => w.where({ id: ref }).orWhereRaw('lower(name) = lower(?)', [ref]))
    : q.whereRaw('lower(name) = lower(?)', [ref]));
  return row && { id: row.id, name: row.name };
}

/** The router `name`, created when missing (spec: creating an existing name returns it). */
export async function ensureRouter(
  db: Knex,
  userId: string,
  name: string,
  limits: BusLimits,
): Promise<Router> {
  const existing = await findRouter(db, userId, name);
  if (existing) {
    await touch(db, 'bus_routers', existing.id);
    return existing;
  }
  const live = await liveCount(db, 'bus_routers', userId, limits);
  if (live.count >= limits.maxRouters) {
    throw new BusError(
      429,
      35,
      `You have ${live.count} virtual routers in use, the limit per user (ACMP_SICS_MAX_ROUTERS = ${limits.maxRouters}); the least recently used are ${live.oldest}: delete some with DELETE /VirtualRouter/{name}, or let them expire (unused for ${idleText(limits)})`,
    );
  }
  // A concurrent create of the same name wins the unique index: return that one.
  const rows = await db.raw(
    `insert into bus_routers (user_id, name) values (?, ?) on conflict (user_id, lower(name)) do nothing returning id, name`,
    [userId, name],
  );
  return rows.rows[0] ?? (await findRouter(db, userId, name))!;
}

/** Deletes the router with its targets and their messages (cascade); false when there is none. */
export async function deleteRouter(db: Knex, userId: string, ref: string): Promise<boolean> {
  const router = await findRouter(db, userId, ref);
  if (!router) return false;
  await db('bus_routers').where({ id: router.id }).delete();
  return true;
}

export async function findTarget(
  db: Knex,
  userId: string,
  ref: string,
): Promise<Target | undefined> {
  const q = db('bus_targets').first('id', 'name', 'router_id').where({ user_id: userId });
  const row = await (UUID.test(ref)
    ? q.andWhere((w) => w.where({ id: ref }).orWhereRaw('lower(name) = lower(?)', [ref]))
    : q.whereRaw('lower(name) = lower(?)', [ref]));
  return row && { id: row.id, name: row.name, routerId: row.router_id };
}

/**
 * Target `ref` of the user with, when `routerRef` is given, whether it is bound to that router
 * (by id or any-case name): one statement for what a consume checks first.
 */
export async function findTargetOfRouter(
  db: Knex,
  userId: string,
  ref: string,
  routerRef?: string,
): Promise<(Target & { routerMatches: boolean }) | undefined> {
  // A target named like another target's id is not a case worth a second statement: the id wins.
  const [row] = await preparedQuery<{
    id: string;
    name: string;
    router_id: string;
    router_matches: boolean;
  }>(
    db,
    'bus_target_of_router',
    `select t.id, t.name, t.router_id, (r.id::text = $3 or lower(r.name) = lower($3)) as router_matches
     from bus_targets t join bus_routers r on r.id = t.router_id
     where t.user_id = $1 and (t.id::text = $2 or lower(t.name) = lower($2))
     order by t.id::text = $2 desc limit 1`,
    [userId, ref, routerRef ?? ''],
  );
  return (
    row && {
      id: row.id,
      name: row.name,
      routerId: row.router_id,
      routerMatches: routerRef === undefined || row.router_matches,
    }
  );
}

/** Creates target `name` bound to `routerId` by `routingKeys`; an existing one of that name is rebound. */
export async function saveTarget(
  db: Knex,
  userId: string,
  name: string,
  routerId: string,
  routingKeys: string[],
  limits: BusLimits,
): Promise<Target> {
  const existing = await findTarget(db, userId, name);
  if (existing) {
    await db('bus_targets')
      .where({ id: existing.id })
      .update({ router_id: routerId, routing_keys: routingKeys, last_used_at: db.fn.now() });
    return { ...existing, routerId };
  }
  const live = await liveCount(db, 'bus_targets', userId, limits);
  if (live.count >= limits.maxTargets) {
    throw new BusError(
      429,
      35,
      `You have ${live.count} targets in use, the limit per user (ACMP_SICS_MAX_TARGETS = ${limits.maxTargets}); the least recently used are ${live.oldest}: delete some with DELETE /Target/{name}, or let them expire (unused for ${idleText(limits)})`,
    );
  }
  const rows = await db.raw(
    `insert into bus_targets (user_id, name, router_id, routing_keys) values (?, ?, ?, ?) on conflict (user_id, lower(name)) do update set router_id = excluded.router_id, routing_keys = excluded.routing_keys, last_used_at = now() returning id, name, router_id`,
    [userId, name, routerId, routingKeys],
  );
  const row = rows.rows[0];
  return { id: row.id, name: row.name, routerId: row.router_id };
}

export async function deleteTarget(db: Knex, userId: string, ref: string): Promise<boolean> {
  const target = await findTarget(db, userId, ref);
  if (!target) return false;
  await db('bus_targets').where({ id: target.id }).delete();
  return true;
}

/**
 * The targets bound to (router, routingKey) of the user. Refused when the router does not exist,
 * when nothing is bound (the message would be lost) or when a target is full.
 */
export async function boundTargets(
  db: Knex,
  userId: string,
  routerName: string,
  routingKey: string,
  field: string,
  limits: BusLimits,
  /** A client's publish to this router uses it; the gateway's own answers to a callback do not. */
  use: boolean,
): Promise<Target[]> {
  // One statement: the router (marked used), then its bound targets with their queue depths
  // (none: a row with a null target, so that "no router" and "nothing bound" are told apart).
  const rows = await preparedQuery<{
    router_id: string;
    router_name: string;
    id: string | null;
    name: string;
    queued: number;
  }>(
    db,
    'bus_bound_targets',
    `with used as (
       update bus_routers set last_used_at = now()
       where $4 and user_id = $2 and lower(name) = lower($3) and last_used_at < now() - $5 * interval '1 millisecond'
     )
     select r.id as router_id, r.name as router_name, t.id, t.name,
            (select count(*) from bus_messages m
              where m.target_id = t.id and m.dead_at is null and m.expires_at > now()) as queued
     from bus_routers r left join bus_targets t on t.router_id = r.id and $1 = any(t.routing_keys)
     where r.user_id = $2 and lower(r.name) = lower($3)
     order by t.name`,
    [routingKey, userId, routerName, use, touchEveryMs(limits)],
  );
  if (!rows.length)
    throw new BusError(
      400,
      35,
      `${field}: there is no virtual router "${routerName}"; create it with POST /VirtualRouter`,
    );
  const router = { id: rows[0].router_id, name: rows[0].router_name };
  if (rows[0].id === null) {
    throw new BusError(
      400,
      35,
      `${field}: no target is bound to virtual router "${router.name}" with routing key "${routingKey}", so the message would be lost; create one with POST /Target`,
    );
  }
  const full = rows.find((r) => Number(r.queued) >= limits.maxMessagesPerTarget);
  if (full) {
    throw new BusError(
      429,
      35,
      `Target "${full.name}" holds ${full.queued} messages, the limit per target (ACMP_SICS_MAX_MESSAGES_PER_TARGET = ${limits.maxMessagesPerTarget}); consume them first`,
    );
  }
  return rows.map((r) => ({ id: r.id!, name: r.name, routerId: router.id }));
}

/** Queues `body` (one MessageId, a copy per target) into each target (inside the caller's transaction) and notifies listeners at commit. */
export async function enqueue(
  trx: Knex.Transaction,
  targets: Target[],
  messageId: string,
  routingKey: string,
  body: string,
  limits: BusLimits,
  channel: string,
): Promise<void> {
  // One statement for all targets. NOTIFY inside a transaction is delivered when it commits, never when it rolls back.
  await preparedQuery(
    trx,
    'bus_enqueue',
    `with queued as (
       insert into bus_messages (message_id, target_id, routing_key, body, expires_at)
       select $1, t, $2, $3, now() + $4 * interval '1 second' from unnest($5::uuid[]) t
       returning target_id
     )
     select pg_notify($6, target_id::text) from queued`,
    [messageId, routingKey, body, limits.messageTtlSeconds, targets.map((t) => t.id), channel],
  );
}

export interface Lease {
  /** How long the consumer holds the messages before they are delivered again. */
  seconds: number;
  /** Manual acknowledgement: each message carries its LeaseId. */
  manual: boolean;
}

/**
 * Leases up to `max` live messages of the target to one consumer, oldest first: those whose
 * lease ran out come before newer ones, since the queue is ordered by id. SKIP LOCKED lets
 * concurrent consumers (also of other gateway instances) take different messages, and a leased
 * message is not taken again before its lease ends: one consumer at a time per message. A message
 * whose lease ran out after its last allowed delivery becomes a dead letter instead, in the same
 * statement, which also marks the target and its router used.
 */
export async function take(
  db: Knex,
  targetId: string,
  max: number,
  lease: Lease,
  limits: BusLimits,
): Promise<QueuedMessage[]> {
  const rows = await preparedQuery<{
    id: string;
    message_id: string;
    body: string;
    routing_key: string;
    published_at: Date;
    delivery_count: number;
    lease_id: string;
  }>(
    db,
    'bus_take',
    `with dead as (
       update bus_messages set dead_at = now(), leased_until = null, lease_id = null
       where target_id = $1 and dead_at is null and leased_until <= now() and delivery_count >= $4
     ), used_target as (
       update bus_targets set last_used_at = now()
       where id = $1 and last_used_at < now() - $5 * interval '1 millisecond'
       returning router_id
     ), used_router as (
       update bus_routers set last_used_at = now()
       where id = (select router_id from used_target) and last_used_at < now() - $5 * interval '1 millisecond'
     ), picked as (
       select id from bus_messages
       where target_id = $1 and dead_at is null and expires_at > now()
         and (leased_until is null or leased_until <= now()) and delivery_count < $4
       order by id for update skip locked limit $2
     )
     update bus_messages m
        set delivery_count = m.delivery_count + 1,
            leased_until = now() + $3 * interval '1 second',
            lease_id = gen_random_uuid()
       from picked where m.id = picked.id
     returning m.id, m.message_id, m.body, m.routing_key, m.published_at, m.delivery_count, m.lease_id`,
    [targetId, max, lease.seconds, limits.maxDeliveries, touchEveryMs(limits)],
  );
  return rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((r) => ({
      MessageId: r.message_id,
      Body: r.body,
      Routing_Key: r.routing_key,
      PublishedAt: r.published_at.toISOString(),
      DeliveryCount: r.delivery_count,
      ...(lease.manual ? { LeaseId: r.lease_id } : {}),
      [LEASE]: r.lease_id,
    }));
}

/**
 * Acknowledges messages of the target: by MessageId (whoever holds them), or by LeaseId (only
 * the delivery that lease belongs to: once the message was delivered again, an old LeaseId
 * removes nothing). Unknown and already acknowledged ids are not counted.
 */
export async function acknowledge(
  db: Knex,
  targetId: string,
  ids: { messageIds?: string[]; leaseIds?: string[] },
  limits: BusLimits,
): Promise<number> {
  const uuids = (list: string[] | undefined) => (list ?? []).filter((id) => UUID.test(id));
  const rows = await preparedQuery<{ n: number }>(
    db,
    'bus_ack',
    `with acked as (
       delete from bus_messages
       where target_id = $1 and dead_at is null
         and (message_id = any($2::uuid[]) or lease_id = any($3::uuid[]))
       returning 1
     ), used as (
       update bus_targets set last_used_at = now()
       where id = $1 and last_used_at < now() - $4 * interval '1 millisecond'
     )
     select count(*)::int as n from acked`,
    [targetId, uuids(ids.messageIds), uuids(ids.leaseIds), touchEveryMs(limits)],
  );
  return rows[0]?.n ?? 0;
}

/** Automatic acknowledgement, once the answer holding these deliveries was written. */
export async function acknowledgeLeases(db: Knex, leaseIds: string[]): Promise<void> {
  if (!leaseIds.length) return;
  await preparedQuery(db, 'bus_ack_leases', 'delete from bus_messages where lease_id = any($1)', [
    leaseIds,
  ]);
}

/**
 * Puts deliveries whose answer never reached the consumer back in their place, as if they had
 * not been taken (the count of deliveries too).
 */
export async function releaseLeases(db: Knex, leaseIds: string[]): Promise<void> {
  if (!leaseIds.length) return;
  await preparedQuery(
    db,
    'bus_release',
    `update bus_messages
        set leased_until = null, lease_id = null, delivery_count = greatest(delivery_count - 1, 0)
      where lease_id = any($1)`,
    [leaseIds],
  );
}

export interface DeadLetter {
  id: string;
  messageId: string;
  user: string;
  router: string;
  target: string;
  routingKey: string;
  deliveryCount: number;
  publishedAt: string;
  deadAt: string;
  /** The first bytes of the decoded body, for a person to recognise it. */
  excerpt: string;
}

/** Dead letters of every user, newest first (the console's list). */
export async function listDeadLetters(db: Knex, limit = 200): Promise<DeadLetter[]> {
  const rows = await db.raw(
    `select m.id, m.message_id, a.name as user_name, r.name as router, t.name as target,
            m.routing_key, m.delivery_count, m.published_at, m.dead_at,
            left(translate(left(m.body, 1200), chr(13) || chr(10), ''), 400) as head
       from bus_messages m
       join bus_targets t on t.id = m.target_id
       join bus_routers r on r.id = t.router_id
       join assignees a on a.id = t.user_id
      where m.dead_at is not null and m.expires_at > now()
      order by m.dead_at desc, m.id desc
      limit ?`,
    [limit],
  );
  return rows.rows.map((r: Record<string, any>) => ({
    id: String(r.id),
    messageId: r.message_id,
    user: r.user_name,
    router: r.router,
    target: r.target,
    routingKey: r.routing_key,
    deliveryCount: r.delivery_count,
    publishedAt: r.published_at.toISOString(),
    deadAt: r.dead_at.toISOString(),
    excerpt: excerptOf(r.head),
  }));
}

/**
 * The start of a Base64 body as text, for a person to recognise it: never fails on what Publish
 * accepted (no padding, line breaks anywhere, a character cut at the end, bytes that are not
 * UTF-8, shown as U+FFFD). `head`: at most 400 Base64 characters, line breaks removed.
 */
function excerptOf(head: string): string {
  // stream: an incomplete character at the end of the 300 bytes is left out, not replaced.
  return new TextDecoder().decode(Buffer.from(head, 'base64'), { stream: true });
}

/** Sends a dead letter back to its queue, in its old place, with its deliveries counted anew; false when there is none. */
export async function resendDeadLetter(db: Knex, id: string, channel: string): Promise<boolean> {
  if (!/^\d{1,18}$/.test(id)) return false;
  const rows = await db.raw(
    `with back as (
       update bus_messages set dead_at = null, delivery_count = 0, leased_until = null, lease_id = null
       where id = ? and dead_at is not null and expires_at > now()
       returning target_id
     )
     select pg_notify(?, target_id::text) from back`,
    [id, channel],
  );
  return rows.rows.length > 0;
}

export interface Sweep {
  routers: number;
  targets: number;
  /** Messages (dead letters included) that went with the idle targets. */
  messages: number;
}

/**
 * Drops messages older than the TTL (docs/protocol.md §8.2: message age limit), and routers and
 * targets no client used within the idle time, with whatever they still hold.
 */
export async function sweep(db: Knex, limits: BusLimits): Promise<Sweep> {
  await db('bus_messages').where('expires_at', '<=', db.fn.now()).delete();
  const idle = `${limits.idleMs} milliseconds`;
  const result = await db.raw(
    `with idle_targets as (
       select t.id from bus_targets t join bus_routers r on r.id = t.router_id
        where t.last_used_at < now() - ?::interval or r.last_used_at < now() - ?::interval
     ), dropped as (
       select count(*)::int as n from bus_messages where target_id in (select id from idle_targets)
     ), gone_targets as (
       delete from bus_targets where id in (select id from idle_targets) returning 1
     ), gone_routers as (
       delete from bus_routers where last_used_at < now() - ?::interval returning 1
     )
     select (select n from dropped) as messages,
            (select count(*)::int from gone_targets) as targets,
            (select count(*)::int from gone_routers) as routers`,
    [idle, idle, idle],
  );
  const row = result.rows[0];
  return { routers: row.routers, targets: row.targets, messages: row.messages };
}

/** Marks a router or target used (created again, bound, deleted from …), at most so often. */
async function touch(db: Knex, table: 'bus_routers' | 'bus_targets', id: string): Promise<void> {
  await db(table).where({ id }).update({ last_used_at: db.fn.now() });
}

/**
 * Uses are written at most this often per router or target: a busy consumer does not rewrite
 * its target's row on every poll, and an idle time of minutes loses nothing by it.
 */
function touchEveryMs(limits: BusLimits): number {
  return Math.min(60_000, Math.floor(limits.idleMs / 10));
}

function idleText(limits: BusLimits): string {
  const minutes = limits.idleMs / 60_000;
  return minutes >= 1 ? `${minutes} minutes, ACMP_SICS_IDLE_MINUTES` : `${limits.idleMs / 1000} s`;
}

/** The user's routers or targets still in use, and the names of the least recently used (at most 5). */
async function liveCount(
  db: Knex,
  table: 'bus_routers' | 'bus_targets',
  userId: string,
  limits: BusLimits,
): Promise<{ count: number; oldest: string }> {
  const result = await db.raw(
    `select count(*) over ()::int as n, name from ${table}
      where user_id = ? and last_used_at >= now() - ?::interval
      order by last_used_at, name limit 5`,
    [userId, `${limits.idleMs} milliseconds`],
  );
  const rows: { n: number; name: string }[] = result.rows;
  return {
    count: rows[0]?.n ?? 0,
    oldest: rows.map((r) => `"${r.name}"`).join(', '),
  };
}
