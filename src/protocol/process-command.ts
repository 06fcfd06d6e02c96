// The core pipeline, free of HTTP (architecture guide, conventions 5 and 6):
//   parse -> resolve command -> decode + validate -> authorize -> handle -> render, one error renderer.
import { randomUUID } from 'crypto';
import type { CommandContext } from '../commands/types';
import type { RegisteredCommand } from '../commands/registry';
import { describeErrors } from '../validation/validator';
import { isDatabaseUnavailable, isRetryableConflict } from '../db/failures';
import { decode, normalize, render } from './codec';
import { readEnvelope, writeEnvelope, writeErrorEnvelope } from './envelope';
import { ANONYMOUS, Caller, CallerSource } from '../identity/caller';
import { sessionUser } from '../identity/sessions';
import { callerOf } from '../identity/users';
import { FieldError, GatewayError, NotXml, PermissionDenied, SessionRequired, UnknownCommand, ValidationFailed } from './errors';
import { ResultCode } from './result-codes';
import { readXml } from './xml-reader';
import { XmlLines } from './xml-writer';

export interface CommandResult {
  resultCode: number;
  xml: string;
  /** True when the body was not XML at all: HTTP transports answer 400. */
  notXml?: boolean;
}

export type Logger = (message: string, error?: unknown) => void;

export const consoleLogger: Logger = (message, error) => console.error(message, error ?? '');

/**
 * What a transport hands the core. `session`: the session id sent outside the payload
 * (X-SICS-SESSION); a sent session always decides the caller. `caller`: who acts when no session
 * is sent (open mode: Settings.ApiUserId); absent when authentication is required.
 */
export type PipelineContext = Omit<CommandContext, 'caller'> & { caller?: CallerSource; session?: string };

/** The 7 answer names what to do (spec §5). */
export const LOG_IN_FIRST = 'log in with LoginAcmpUser_V1 (or TokenLoginAcmpUser_V1) and send its SessionId in the X-SICS-SESSION header';

export async function processCommand(body: string, pipeline: PipelineContext, log: Logger = consoleLogger): Promise<CommandResult> {
  let command: RegisteredCommand | undefined;
  try {
    const envelope = readEnvelope(readXml(body));
    command = pipeline.registry.get(envelope.command, envelope.version);
    if (!command) {
      const known = pipeline.registry.versions().get(envelope.command);
      throw new UnknownCommand(
        known
          ? `${envelope.command} has no version ${envelope.version}; this gateway serves version ${known.join(', ')}`
          : `Unknown command ${envelope.command}; GetCommandVersions_V1 lists the commands this gateway serves`,
      );
    }
    // Who asks is settled before the payload is read: without a live session only 7 comes back.
    const caller = await resolveCaller(command, pipeline);
    const input = readPayload(command, envelope.payload);
    const ctx = await authorize(command, input, { ...pipeline, caller });
    const handle = command.definition.handle;
    const output = await retryConflicts(() => handle(input, ctx), log);
    // FirstErrorMsg (list-saving commands only; the schema decides) is empty on success.
    const fields = { FirstErrorMsg: '', ...output, ResultCode: ResultCode.OK, ResultMessage: 'OK' };
    return { resultCode: ResultCode.OK, xml: renderResponse(command, fields) };
  } catch (error) {
    const { resultCode, message } = toWire(error, log);
    const extra = (error as { firstErrorMsg?: string }).firstErrorMsg;
    // Fields a refusal still answers with (LoginResult of a failed login).
    const fields = (error as { responseFields?: Record<string, unknown> }).responseFields;
    const xml = command
      ? renderResponse(command, { ...fields, ...(extra !== undefined ? { FirstErrorMsg: extra } : {}), ResultCode: resultCode, ResultMessage: message })
      : writeErrorEnvelope(resultCode, message);
    return { resultCode, xml, notXml: error instanceof NotXml };
  }
}

/**
 * Throws PermissionDenied (35) unless the caller holds the permission the command declares
 * (spec §5); the handler never runs then. Returns the handler's context.
 */
async function authorize(command: RegisteredCommand, input: unknown, ctx: CommandContext): Promise<CommandContext> {
  const rule = command.definition.permission;
  if (rule === 'NONE') return ctx;
  const needed = typeof rule === 'function' ? await rule(input, ctx) : rule;
  if (!ctx.caller.permissions.has(needed)) {
    throw new PermissionDenied(`${command.key} needs the permission ${needed}, which user ${ctx.caller.name} does not have; nothing was changed`);
  }
  return ctx;
}

/**
 * The one place the caller is decided (spec §5). Commands that need no permission (meta commands,
 * login) look nobody up and need no session. Otherwise a sent session acts as its user, also in
 * open mode (a stale session is refused, not silently widened to the ApiUser); without a session
 * the transport's open-mode caller, if any; else 7.
 */
async function resolveCaller(command: RegisteredCommand, { db, session, caller, limits }: PipelineContext): Promise<Caller> {
  if (command.definition.permission === 'NONE') return caller === undefined || typeof caller === 'function' ? ANONYMOUS : caller;
  if (session) {
    const userId = await sessionUser(db, session, limits?.session);
    const user = userId === undefined ? undefined : await callerOf(db, userId);
    if (!user) throw new SessionRequired(`${command.key}: the session in X-SICS-SESSION is unknown or has expired; ${LOG_IN_FIRST}`);
    return { id: user.id, name: user.name, permissions: new Set(user.permissions) };
  }
  if (caller === undefined) throw new SessionRequired(`${command.key} needs a session: ${LOG_IN_FIRST}`);
  return typeof caller === 'function' ? caller() : caller;
}

/** Runs beyond the first when PostgreSQL rolls a command back for a deadlock or serialization failure. */
export const CONFLICT_RETRIES = 3;

/**
 * Runs a handler again when PostgreSQL rolled its transaction back for a deadlock or a
 * serialization failure: each handler runs in its own transaction, so nothing of the failed run
 * remains. A short random pause lets the other transaction finish first.
 */
export async function retryConflicts<T>(run: () => Promise<T>, log: Logger, retries = CONFLICT_RETRIES): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt > retries || !isRetryableConflict(error)) throw error;
      log(`database conflict (${(error as { code?: string }).code}), running the command again (${attempt} of ${retries})`);
      await new Promise((resolve) => setTimeout(resolve, attempt * 20 + Math.random() * 30));
    }
  }
}

function readPayload(command: RegisteredCommand, payload: import('./xml-reader').XmlElement | undefined): unknown {
  const errors: FieldError[] = [];
  const empty = { name: '', attrs: {}, children: [], text: '' };
  const raw = decode(payload ?? empty, command.request, '', errors);
  if (!command.validate(raw)) errors.push(...describeErrors(command.request, command.validate.errors ?? []));
  if (errors.length) throw new ValidationFailed(errors);
  const value = normalize(raw, command.request, '', errors);
  if (errors.length) throw new ValidationFailed(errors);
  return value;
}

function renderResponse(command: RegisteredCommand, fields: Record<string, unknown>): string {
  const out = new XmlLines();
  const shape = command.response;
  if (shape.kind !== 'object') throw new Error(`${command.key}: response must be an object`);
  for (const [name, sub] of shape.fields) render(out, 4, name, fields[name], sub);
  return writeEnvelope(command.definition.name, command.definition.version, out.lines);
}

/** Maps any throwable to ResultCode and message, once (architecture guide, convention 7). */
export function toWire(error: unknown, log: Logger): { resultCode: number; message: string } {
  if (error instanceof GatewayError) return { resultCode: error.resultCode, message: error.message };
  const ref = randomUUID();
  if (isDatabaseUnavailable(error)) {
    log(`database unavailable ${ref}`, error);
    return { resultCode: ResultCode.DatabaseError, message: `The database is unavailable or did not answer in time; nothing was half-written. Try again later (reference ${ref})` };
  }
  if (isRetryableConflict(error)) {
    // Still conflicting after CONFLICT_RETRIES runs: heavy contention, worth a later try.
    log(`database conflict ${ref}`, error);
    return { resultCode: ResultCode.DatabaseError, message: `The database is busy with conflicting changes to the same data; nothing was changed. Try again later (reference ${ref})` };
  }
  log(`internal error ${ref}`, error);
  return { resultCode: ResultCode.InternalError, message: `Internal error; the gateway log has the details under reference ${ref}` };
}
