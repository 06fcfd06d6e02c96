// The SICS service-bus transport (docs/protocol.md §8.2): JSON over HTTP, framing only. The bus (src/bus/)
// stores and routes; the core runs the ICQL; identity (src/identity/) logs in.
import { createHash, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, Router } from 'express';
import type { Bus } from '../../bus/bus';
import {
  DEFAULT_LEASE_SECONDS,
  MAX_CONSUME_MESSAGES,
  MAX_LEASE_SECONDS,
  MAX_WAIT_TIMEOUT_MS,
} from '../../bus/limits';
import {
  acknowledgeLeases,
  BusError,
  deleteRouter,
  deleteTarget,
  ensureRouter,
  releaseLeases,
  saveTarget,
} from '../../bus/store';
import { dummyPasswordCheck, login } from '../../domain/login';
import type { Caller } from '../../identity/caller';
import { endSession, SESSION_HEADER, sessionCaller } from '../../identity/sessions';
import { authenticatePassword } from '../../identity/users';
import { exchangeOf, requestLog } from '../../observability/exchange';
import type { Logger } from '../../observability/logger';
import { type PipelineContext, toWire } from '../../protocol/process-command';
import { GatewayError } from '../../vocabulary/errors';
import { ResultCode } from '../../vocabulary/result-codes';
import { watchDelivery } from './delivery';
import { ack, consume, leaseOf, publish } from './service';

/** Consume without WaitTimeout waits this long (when WaitForMessage is true). */
export const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
/** Consume without MaxMessages takes this many at most. */
export const DEFAULT_MAX_MESSAGES = 10;

type Json = Record<string, unknown>;
const invalid = (message: string) => new BusError(400, ResultCode.InvalidRequest, message);

function str(body: Json, field: string, optional: true): string | undefined;
function str(body: Json, field: string, optional?: false): string;
function str(body: Json, field: string, optional = false): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw invalid(`${field} is missing: send it as a JSON string`);
  }
  if (typeof v !== 'string')
    throw invalid(
      `${field} must be a JSON string, not ${Array.isArray(v) ? 'an array' : typeof v}`,
    );
  return v;
}

function name(body: Json, field: string): string {
  const v = str(body, field).trim();
  if (!v || v.length > 200) throw invalid(`${field} must be 1 to 200 characters`);
  return v;
}

/** A JSON array of strings, or undefined when the field is absent. */
function strings(body: Json, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    throw invalid(`${field} must be a JSON array of strings`);
  return v as string[];
}

function ackMode(body: Json): 'Auto' | 'Manual' {
  const mode = str(body, 'AckMode', true);
  if (mode === undefined || mode.toLowerCase() === 'auto') return 'Auto';
  if (mode.toLowerCase() === 'manual') return 'Manual';
  throw invalid(`AckMode must be "Auto" or "Manual", not "${mode}"`);
}

function int(body: Json, field: string, fallback: number, min: number, max: number): number {
  const v = body[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v))
    throw invalid(`${field} must be a whole JSON number`);
  if (v < min || v > max) throw invalid(`${field} must be from ${min} to ${max}, not ${v}`);
  return v;
}

/** A refusal before the route ran (a rate limit), in the bus's error shape. */
export function sicsRefusal(
  _req: Request,
  res: Response,
  resultCode: number,
  message: string,
): void {
  res.json({ ErrorCode: resultCode, Error: message });
}

export function sicsRouter(
  bus: Bus,
  pipeline: PipelineContext,
  bodyLimit: string,
  log: Logger,
): Router {
  const router = Router();
  const json = express.json({ type: () => true, limit: bodyLimit, strict: false });
  // An empty body parses to {}: its fields are then reported missing one by one.
  const body = (req: Request): Json => {
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body))
      throw invalid('The body must be a JSON object');
    return req.body as Json;
  };
  const limits = pipeline.limits?.session;

  /** Every call but POST /Session: the session's user, or 401 {ErrorCode 7}. */
  const user = async (
    req: Request,
    res: Response,
  ): Promise<{ userId: string; session: string; caller: Caller }> => {
    const session = req.get(SESSION_HEADER)?.trim();
    const found = session ? await sessionCaller(bus.db, session, limits) : undefined;
    if (!session || !found) {
      throw new BusError(
        401,
        ResultCode.InvalidSession,
        session
          ? `The session in ${SESSION_HEADER} is unknown or has expired; start one with POST /Session`
          : `Send the session from POST /Session in the ${SESSION_HEADER} header`,
      );
    }
    const trace = exchangeOf(res)?.trace;
    if (trace) trace.user = { id: found.id, name: found.name };
    return {
      userId: found.id,
      session,
      caller: { ...found, permissions: new Set(found.permissions) },
    };
  };

  const route =
    (handler: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response) => {
      try {
        await handler(req, res);
      } catch (error) {
        if (error instanceof BusError)
          return void res
            .status(error.status)
            .json({ ErrorCode: error.errorCode, Error: error.message });
        const { resultCode, message } = toWire(error, requestLog(log, res));
        const status =
          error instanceof GatewayError
            ? resultCode === ResultCode.UserNamePasswordWrong
              ? 401
              : 400
            : resultCode === ResultCode.DatabaseError
              ? 503
              : 500;
        if (!res.headersSent) res.status(status).json({ ErrorCode: resultCode, Error: message });
      }
    };

  // Always checks the credentials, also when plain commands run open (docs/protocol.md §8.2). The SICS
  // client sends the password itself; the identity store takes LoginAcmpUser's PasswordHash.
  router.post(
    '/Session',
    json,
    route(async (req, res) => {
      const b = body(req);
      const userName = str(b, 'UserName');
      const passwordHash = createHash('sha256').update(str(b, 'Password'), 'utf8').digest('hex');
      const session = randomBytes(24).toString('hex');
      await login(
        bus.db,
        userName,
        session,
        false,
        () => authenticatePassword(bus.db, userName, passwordHash),
        dummyPasswordCheck(passwordHash),
        pipeline.limits,
      );
      res.status(200).json({ Session: session });
    }),
  );
  router.delete(
    '/Session',
    route(async (req, res) => {
      const { session } = await user(req, res);
      await endSession(bus.db, session);
      res.status(204).end();
    }),
  );

  router.post(
    '/VirtualRouter',
    json,
    route(async (req, res) => {
      const { userId } = await user(req, res);
      const r = await ensureRouter(
        bus.db,
        userId,
        name(body(req), 'VirtualRouterName'),
        bus.limits,
      );
      res.status(201).json({ Id: r.id, VirtualRouterName: r.name });
    }),
  );
  router.delete(
    '/VirtualRouter/:ref',
    route(async (req, res) => {
      const { userId } = await user(req, res);
      if (!(await deleteRouter(bus.db, userId, String(req.params.ref))))
        throw new BusError(
          404,
          ResultCode.ElementNotFound,
          `There is no virtual router "${req.params.ref}"`,
        );
      res.status(204).end();
    }),
  );

  router.post(
    '/Target',
    json,
    route(async (req, res) => {
      const { userId } = await user(req, res);
      const b = body(req);
      const targetName = name(b, 'TargetName');
      const type = str(b, 'TargetType', true);
      if (type !== undefined && type.toLowerCase() !== 'queue')
        throw invalid(`TargetType must be "Queue" (the only kind this bus has), not "${type}"`);
      const routerName = str(b, 'VirtualRouter', true)?.trim() || targetName;
      const keys = b.RoutingKeys;
      if (keys !== undefined && (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')))
        throw invalid('RoutingKeys must be a JSON array of strings');
      // Without VirtualRouter: bound to the router of its own name, routing key = its name (docs/protocol.md §8.2).
      const routingKeys = keys?.length ? (keys as string[]) : [targetName];
      const r = await ensureRouter(bus.db, userId, routerName, bus.limits);
      const t = await saveTarget(bus.db, userId, targetName, r.id, routingKeys, bus.limits);
      res.status(201).json({ Id: t.id, TargetName: t.name });
    }),
  );
  router.delete(
    '/Target/:ref',
    route(async (req, res) => {
      const { userId } = await user(req, res);
      if (!(await deleteTarget(bus.db, userId, String(req.params.ref))))
        throw new BusError(
          404,
          ResultCode.ElementNotFound,
          `There is no target "${req.params.ref}"`,
        );
      res.status(204).end();
    }),
  );

  router.post(
    '/Publish',
    json,
    route(async (req, res) => {
      const { userId, caller } = await user(req, res);
      const b = body(req);
      const exchange = str(b, 'ExchangeType', true);
      if (exchange !== undefined && exchange.toUpperCase() !== 'ROUTING')
        throw invalid(`ExchangeType must be "ROUTING", not "${exchange}"`);
      const request = {
        Body: str(b, 'Body'),
        VirtualRouter: name(b, 'VirtualRouter'),
        Routing_Key: str(b, 'Routing_Key', true) ?? '',
        Callback_VirtualRouter: str(b, 'Callback_VirtualRouter', true),
        Callback_Routing_Key: str(b, 'Callback_Routing_Key', true),
      };
      res.status(202).json({
        MessageId: await publish(
          bus,
          userId,
          caller,
          request,
          { ...pipeline, trace: exchangeOf(res)?.trace },
          requestLog(log, res),
        ),
      });
    }),
  );

  router.post(
    '/Consume',
    json,
    route(async (req, res) => {
      const { userId } = await user(req, res);
      const b = body(req);
      const wait = b.WaitForMessage;
      if (wait !== undefined && typeof wait !== 'boolean')
        throw invalid('WaitForMessage must be true or false');
      const request = {
        VirtualRouter: str(b, 'VirtualRouter', true),
        TargetName: name(b, 'TargetName'),
        WaitForMessage: wait === true,
        WaitTimeout: int(b, 'WaitTimeout', DEFAULT_WAIT_TIMEOUT_MS, 0, MAX_WAIT_TIMEOUT_MS),
        MaxMessages: int(b, 'MaxMessages', DEFAULT_MAX_MESSAGES, 1, MAX_CONSUME_MESSAGES),
        AckMode: ackMode(b),
        LeaseSeconds: int(b, 'LeaseSeconds', DEFAULT_LEASE_SECONDS, 1, MAX_LEASE_SECONDS),
      };
      // Automatic acknowledgement: the messages leave their queue once this answer has reached
      // the consumer (delivery.ts); if it never did, they go back to their place.
      let leases: string[] = [];
      const consumer = watchDelivery(req, res, (delivered) => {
        if (!leases.length) return;
        const settle = delivered ? acknowledgeLeases : releaseLeases;
        settle(bus.db, leases).catch((e) =>
          // Not lost either way: an unsettled lease runs out and the message is delivered again.
          log('bus: could not settle the leases of a Consume answer; they run out instead', e),
        );
      });
      const messages = await consume(bus, userId, request, consumer);
      if (request.AckMode === 'Auto') leases = messages.map(leaseOf);
      if (leases.length) consumer.answering();
      res.status(200).json({ ErrorCode: 0, Messages: messages });
    }),
  );

  // Manual acknowledgement (docs/protocol.md §8.2): by MessageIds, or by LeaseIds (only the
  // delivery each names).
  router.post(
    '/Ack',
    json,
    route(async (req, res) => {
      const { userId } = await user(req, res);
      const b = body(req);
      const request = {
        VirtualRouter: str(b, 'VirtualRouter', true),
        TargetName: name(b, 'TargetName'),
        MessageIds: strings(b, 'MessageIds'),
        LeaseIds: strings(b, 'LeaseIds'),
      };
      if (!request.MessageIds && !request.LeaseIds)
        throw invalid('Send the MessageIds or the LeaseIds of the messages to acknowledge');
      if (
        (request.MessageIds?.length ?? 0) + (request.LeaseIds?.length ?? 0) >
        MAX_CONSUME_MESSAGES * 10
      )
        throw invalid(`Acknowledge at most ${MAX_CONSUME_MESSAGES * 10} messages at a time`);
      res.status(200).json({ ErrorCode: 0, Acked: await ack(bus, userId, request) });
    }),
  );

  // Body parser failures of the bus's own calls: still a JSON answer naming the problem.
  router.use(
    ['/Session', '/VirtualRouter', '/Target', '/Publish', '/Consume', '/Ack'],
    (err: { type?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (res.headersSent) return next(err);
      if (err.type === 'entity.too.large')
        return void res.status(413).json({
          ErrorCode: ResultCode.InvalidRequest,
          Error: `The request is larger than the limit of ${bodyLimit}`,
        });
      if (err.type === 'entity.parse.failed')
        return void res
          .status(400)
          .json({ ErrorCode: ResultCode.InvalidRequest, Error: 'The body is not valid JSON' });
      res.status(400).json({
        ErrorCode: ResultCode.InvalidRequest,
        Error: 'The request body could not be read',
      });
    },
  );
  return router;
}
