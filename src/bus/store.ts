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
}

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
  if (existing) return existing;
  const [{ n }] = await db('bus_routers').where({ user_id: userId }).count({ n: '*' });
  if (Number(n) >= limits.maxRouters) {
    throw new BusError(
      429,
      35,
      `You have ${n} virtual routers, the limit per user (ACMP_SICS_MAX_ROUTERS = ${limits.maxRouters}); delete one with DELETE /VirtualRouter/{name} first`,
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
      .update({ router_id: routerId, routing_keys: routingKeys });
    return { ...existing, routerId };
  }
  const [{ n }] = await db('bus_targets').where({ user_id: userId }).count({ n: '*' });
  if (Number(n) >= limits.maxTargets) {
    throw new BusError(
      429,
      35,
      `You have ${n} targets, the limit per user (ACMP_SICS_MAX_TARGETS = ${limits.maxTargets}); delete one with DELETE /Target/{name} first`,
    );
  }
  const rows = await db.raw(
    `insert into bus_targets (user_id, name, router_id, routing_keys) values (?, ?, ?, ?) on conflict (user_id, lower(name)) do update set router_id = excluded.router_id, routing_keys = excluded.routing_keys returning id, name, router_id`,
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
): Promise<Target[]> {
  // One statement: the router, then its bound targets with their queue depths (none: a row with
  // a null target, so that "no router" and "nothing bound" are told apart).
  const rows = await preparedQuery<{
    router_id: string;
    router_name: string;
    id: string | null;
    name: string;
    queued: number;
  }>(
    db,
    'bus_bound_targets',
    `select r.id as router_id, r.name as router_name, t.id, t.name,
            (select count(*) from bus_messages m where m.target_id = t.id and m.expires_at > now()) as queued
     from bus_routers r left join bus_targets t on t.router_id = r.id and $1 = any(t.routing_keys)
     where r.user_id = $2 and lower(r.name) = lower($3)
     order by t.name`,
    [routingKey, userId, routerName],
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

/**
 * Takes up to `max` messages of the target, oldest first, and removes them in the same
 * statement: SKIP LOCKED lets concurrent consumers (also of other gateway instances) each
 * take different messages, so each message goes to exactly one consumer.
 */
export async function take(db: Knex, targetId: string, max: number): Promise<QueuedMessage[]> {
  const rows = await preparedQuery<{
    id: string;
    message_id: string;
    body: string;
    routing_key: string;
    published_at: Date;
  }>(
    db,
    'bus_take',
    `delete from bus_messages where id in (
       select id from bus_messages where target_id = $1 and expires_at > now() order by id for update skip locked limit $2
     ) returning id, message_id, body, routing_key, published_at`,
    [targetId, max],
  );
  return rows
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map((r) => ({
      MessageId: r.message_id,
      Body: r.body,
      Routing_Key: r.routing_key,
      PublishedAt: r.published_at.toISOString(),
    }));
}

/** Drops messages older than the TTL (docs/protocol.md §8.2: message age limit). */
export async function purgeExpired(db: Knex): Promise<void> {
  await db('bus_messages').where('expires_at', '<=', db.fn.now()).delete();
}
