// Publish and consume (docs/protocol.md §8.2), free of HTTP: the SICS transport frames these.
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { type Bus, SAFETY_RECHECK_MS } from '../../bus/bus';
import { MAX_WAIT_TIMEOUT_MS } from '../../bus/limits';
import {
  BusError,
  boundTargets,
  enqueue,
  findTargetOfRouter,
  isAcmpRouter,
  type QueuedMessage,
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
    const targets = await boundTargets(
      db,
      userId,
      req.VirtualRouter,
      req.Routing_Key,
      'VirtualRouter/Routing_Key',
      limits,
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
  );
  const decoded = decodeBase64(req.Body);
  const refusal = !decoded.ok
    ? `Body is not Base64: ${decoded.error}. Nothing was run`
    : !isUtf8(decoded.bytes)
      ? 'Body is Base64, but what it holds is not UTF-8 text; send the ICQL document in UTF-8. Nothing was run'
      : undefined;
  // A deadlock or serialization failure rolls all of it back: run it again, as the core does.
  await retryConflicts(
    () =>
      db.transaction(async (trx) => {
        // The command's own transactions become savepoints of this one.
        const icql =
          decoded.ok && !refusal
            ? renderIcql(
                (
                  await runDocument(
                    decoded.bytes.toString('utf8'),
                    { ...pipeline, db: trx, caller, session: undefined },
                    log,
                  )
                ).outcomes,
              )
            : writeErrorEnvelope(ResultCode.InvalidRequest, refusal!);
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

export interface ConsumeRequest {
  VirtualRouter?: string;
  TargetName: string;
  WaitForMessage: boolean;
  WaitTimeout: number;
  MaxMessages: number;
}

/**
 * Takes up to MaxMessages of the target; with WaitForMessage, waits until one arrives (woken by
 * NOTIFY through the bus's listener, with a safety re-check) or WaitTimeout passes, or the bus
 * closes, or `gone()` says the client left (then nothing more is taken for it).
 */
export async function consume(
  bus: Bus,
  userId: string,
  req: ConsumeRequest,
  gone: () => boolean,
): Promise<QueuedMessage[]> {
  const target = await findTargetOfRouter(bus.db, userId, req.TargetName, req.VirtualRouter);
  if (!target)
    throw new BusError(
      404,
      30,
      `TargetName: there is no target "${req.TargetName}"; create it with POST /Target`,
    );
  if (!target.routerMatches)
    throw new BusError(
      400,
      35,
      `VirtualRouter: target "${target.name}" is not bound to virtual router "${req.VirtualRouter}"`,
    );
  const deadline = Date.now() + Math.min(req.WaitTimeout, MAX_WAIT_TIMEOUT_MS);
  for (;;) {
    const left = deadline - Date.now();
    const waiting =
      req.WaitForMessage && left > 0 && !bus.isClosed
        ? await bus.subscribe(target.id, Math.min(left, SAFETY_RECHECK_MS))
        : undefined;
    try {
      if (gone()) return [];
      const messages = await take(bus.db, target.id, req.MaxMessages);
      if (messages.length || !waiting) return messages;
      await waiting.woken;
      if (bus.isClosed || gone()) return [];
    } finally {
      waiting?.cancel();
    }
  }
}
