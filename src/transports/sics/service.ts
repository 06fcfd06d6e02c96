// Publish and consume (docs/protocol.md §8.2), free of HTTP: the SICS transport frames these.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { type Bus, SAFETY_RECHECK_MS } from '../../bus/bus';
import { AUTO_LEASE_SECONDS, MAX_WAIT_TIMEOUT_MS } from '../../bus/limits';
import {
  acknowledge,
  BusError,
  boundTargets,
  enqueue,
  findTargetOfRouter,
  isAcmpRouter,
  LEASE,
  type QueuedMessage,
  releaseLeases,
  take,
} from '../../bus/store';
import { decodeBase64 } from '../../domain/base64';
import type { Caller } from '../../identity/caller';
import type { Logger } from '../../observability/logger';
import { writeErrorEnvelope } from '../../protocol/envelope';
import {
  type PipelineContext,
  renderIcql,
  retryConflicts,
  runDocument,
} from '../../protocol/process-command';
import { ResultCode } from '../../vocabulary/result-codes';
import type { Consumer } from './delivery';

export interface PublishRequest {
  Body: string;
  VirtualRouter: string;
  Routing_Key: string;
  Callback_VirtualRouter?: string;
  Callback_Routing_Key?: string;
}

/**
 * A publish to the ACMP router runs the ICQL document as the session's user and queues the
 * Base64 answer into every target bound to (Callback_VirtualRouter, Callback_Routing_Key):
 * command and answer in ONE transaction, so a 202 means both happened and a failure neither.
 * Any other publish is queued into the targets bound to (VirtualRouter, Routing_Key).
 */
export async function publish(
  bus: Bus,
  userId: string,
  caller: Caller,
  req: PublishRequest,
  pipeline: PipelineContext,
  log: Logger,
): Promise<string> {
  const { db, limits } = bus;
  const messageId = randomUUID();
  if (!isAcmpRouter(req.VirtualRouter)) {
    readBody(req.Body);
    const targets = await boundTargets(
      db,
      userId,
      req.VirtualRouter,
      req.Routing_Key,
      'VirtualRouter/Routing_Key',
      limits,
      true,
    );
    await db.transaction((trx) =>
      enqueue(trx, targets, messageId, req.Routing_Key, req.Body, limits, bus.channel),
    );
    return messageId;
  }
  if (req.Callback_VirtualRouter === undefined || req.Callback_Routing_Key === undefined) {
    throw new BusError(
      400,
      35,
      'A publish to the ACMP router needs Callback_VirtualRouter and Callback_Routing_Key: where the answer goes',
    );
  }
  // Checked before the command runs: an answer with nowhere to go is refused, not run.
  const targets = await boundTargets(
    db,
    userId,
    req.Callback_VirtualRouter,
    req.Callback_Routing_Key,
    'Callback_VirtualRouter/Callback_Routing_Key',
    limits,
    false,
  );
  const decoded = readBody(req.Body);
  const refusal = isUtf8(decoded)
    ? undefined
    : 'Body is Base64, but what it holds is not UTF-8 text; send the ICQL document in UTF-8. Nothing was run';
  // A deadlock or serialization failure rolls all of it back: run it again, as the core does.
  await retryConflicts(
    () =>
      db.transaction(async (trx) => {
        // The command's own transactions become savepoints of this one.
        const icql =
          refusal === undefined
            ? renderIcql(
                (
                  await runDocument(
                    decoded.toString('utf8'),
                    { ...pipeline, db: trx, caller, session: undefined },
                    log,
                  )
                ).outcomes,
              )
            : writeErrorEnvelope(ResultCode.InvalidRequest, refusal);
        if (pipeline.trace) pipeline.trace.answer = icql; // the communication log shows it with the publish
        await enqueue(
          trx,
          targets,
          randomUUID(),
          req.Callback_Routing_Key!,
          Buffer.from(icql, 'utf8').toString('base64'),
          limits,
          bus.channel,
        );
      }),
    log,
  );
  return messageId;
}

/**
 * Base64 with or without padding and line breaks (docs/protocol.md §8.2); anything else is
 * refused at Publish, before anything runs or is queued, naming the offset of the first bad
 * character.
 */
function readBody(body: string): Buffer {
  const decoded = decodeBase64(body, { lenient: true });
  if (!decoded.ok)
    throw new BusError(
      400,
      ResultCode.InvalidRequest,
      `Body is not Base64: ${decoded.error}. Nothing was run or queued`,
    );
  return decoded.bytes;
}

export interface ConsumeRequest {
  VirtualRouter?: string;
  TargetName: string;
  WaitForMessage: boolean;
  WaitTimeout: number;
  MaxMessages: number;
  /** Manual: the consumer acknowledges with POST /Ack within LeaseSeconds; Auto: writing the answer does. */
  AckMode: 'Auto' | 'Manual';
  LeaseSeconds: number;
}

/**
 * Leases up to MaxMessages of the target to this consumer; with WaitForMessage, waits until one
 * arrives (woken by NOTIFY through the bus's listener, with a safety re-check) or WaitTimeout
 * passes, or the bus closes, or the consumer leaves. Messages taken for a consumer that left
 * meanwhile go straight back to their place. With Automatic acknowledgement the caller settles
 * the leases (acknowledgeLeases once the answer is written, releaseLeases if it never was).
 */
export async function consume(
  bus: Bus,
  userId: string,
  req: ConsumeRequest,
  consumer: Consumer,
): Promise<QueuedMessage[]> {
  const target = await consumedTarget(bus, userId, req.TargetName, req.VirtualRouter);
  const manual = req.AckMode === 'Manual';
  const lease = { seconds: manual ? req.LeaseSeconds : AUTO_LEASE_SECONDS, manual };
  const deadline = Date.now() + Math.min(req.WaitTimeout, MAX_WAIT_TIMEOUT_MS);
  for (;;) {
    const left = deadline - Date.now();
    const waiting =
      req.WaitForMessage && left > 0 && !bus.isClosed
        ? await bus.subscribe(target.id, Math.min(left, SAFETY_RECHECK_MS))
        : undefined;
    try {
      if (consumer.gone()) return [];
      const messages = await take(bus.db, target.id, req.MaxMessages, lease, bus.limits);
      // Let the connection events that arrived with the rows run first: a consumer that hung up
      // while they were taken is then seen gone, and its messages go back instead of out.
      if (messages.length) await new Promise((resolve) => setImmediate(resolve));
      if (consumer.gone()) {
        await releaseLeases(bus.db, messages.map(leaseOf));
        return [];
      }
      if (messages.length || !waiting) return messages;
      await waiting.woken;
      if (bus.isClosed || consumer.gone()) return [];
    } finally {
      waiting?.cancel();
    }
  }
}

export interface AckRequest {
  VirtualRouter?: string;
  TargetName: string;
  MessageIds?: string[];
  LeaseIds?: string[];
}

/** POST /Ack: removes the acknowledged messages of the target; answers how many there were. */
export async function ack(bus: Bus, userId: string, req: AckRequest): Promise<number> {
  const target = await consumedTarget(bus, userId, req.TargetName, req.VirtualRouter);
  return acknowledge(
    bus.db,
    target.id,
    { messageIds: req.MessageIds, leaseIds: req.LeaseIds },
    bus.limits,
  );
}

export const leaseOf = (m: QueuedMessage): string => m[LEASE] ?? '';

async function consumedTarget(
  bus: Bus,
  userId: string,
  name: string,
  routerRef: string | undefined,
): Promise<{ id: string; name: string }> {
  const target = await findTargetOfRouter(bus.db, userId, name, routerRef);
  if (!target)
    throw new BusError(
      404,
      30,
      `TargetName: there is no target "${name}"; create it with POST /Target`,
    );
  if (!target.routerMatches)
    throw new BusError(
      400,
      35,
      `VirtualRouter: target "${target.name}" is not bound to virtual router "${routerRef}"`,
    );
  return target;
}
