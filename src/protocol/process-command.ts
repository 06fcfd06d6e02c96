// The core pipeline, free of HTTP (architecture guide, conventions 5 and 6):
//   parse -> resolve command -> decode + validate -> authorize -> handle -> render, one error renderer.
import { randomUUID } from 'node:crypto';
import type { RegisteredCommand, Registry } from '../commands/registry';
import type { CommandContext } from '../commands/types';
import { isCommitOutcomeUnknown, isDatabaseUnavailable, isRetryableConflict } from '../db/failures';
import { ANONYMOUS, type Caller, type CallerSource, type Permission } from '../identity/caller';
import { sessionCaller } from '../identity/sessions';
import type { ExchangeTrace } from '../observability/exchange';
import { consoleLogger, type Logger } from '../observability/logger';
import { describeErrors } from '../validation/validator';
import {
  type FieldError,
  GatewayError,
  InvalidRequest,
  NotXml,
  PermissionDenied,
  SessionRequired,
  UnknownCommand,
  ValidationFailed,
} from '../vocabulary/errors';
import { ResultCode } from '../vocabulary/result-codes';
import { decode, normalize, render } from './codec';
import { MAX_COMMANDS, readEnvelopes, writeEnvelopes, writeErrorEnvelope } from './envelope';
import { decodeJson, toJson } from './json-codec';
import { readXml, type XmlElement } from './xml-reader';
import { XmlLines } from './xml-writer';

/** One command as a transport hands it in: its name, version and payload, as XML or as JSON. */
export interface CommandCall {
  command: string;
  version: number;
  payload: { xml: XmlElement | undefined } | { json: unknown };
}

/**
 * What a command answered, before any framing: the transports render it as ICQL, as a SOAP body
 * or as JSON. `command` is absent when the command could not be recognised (the Error envelope).
 */
export interface CommandOutcome {
  command?: RegisteredCommand;
  resultCode: number;
  message: string;
  /** The response payload in domain values, ResultCode and ResultMessage included. */
  fields: Record<string, unknown>;
}

/** What an ICQL document answered: one outcome per command, or one Error outcome. */
export interface DocumentOutcome {
  outcomes: CommandOutcome[];
  /** True when the body was not XML at all: HTTP transports answer 400. */
  notXml?: boolean;
}

export interface CommandResult {
  /** The failing command's ResultCode, else 0 (X-ACMP-Result-Code). */
  resultCode: number;
  xml: string;
  /** True when the body was not XML at all: HTTP transports answer 400. */
  notXml?: boolean;
}

/**
 * What a transport hands the core. `session`: the session id sent outside the payload
 * (X-SICS-SESSION); a sent session always decides the caller. `caller`: who acts when no session
 * is sent (open mode: Settings.ApiUserId); absent when authentication is required.
 */
export type PipelineContext = Omit<CommandContext, 'caller' | 'registry'> & {
  registry: Registry;
  caller?: CallerSource;
  session?: string;
  trace?: ExchangeTrace;
};

/** The 7 answer names what to do (docs/protocol.md §5). */
export const LOG_IN_FIRST =
  'log in with LoginAcmpUser_V1 (or TokenLoginAcmpUser_V1) and send its SessionId in the X-SICS-SESSION header';

/** An ICQL document in, an ICQL document out: the plain XML transport and the SICS bus. */
export async function processCommand(
  body: string,
  pipeline: PipelineContext,
  log: Logger = consoleLogger,
): Promise<CommandResult> {
  const document = await runDocument(body, pipeline, log);
  return {
    resultCode: documentResultCode(document.outcomes),
    xml: renderIcql(document.outcomes),
    notXml: document.notXml,
  };
}

/** Parses an ICQL document and runs its command, or its several commands in one transaction (docs/protocol.md §8.5). */
export async function runDocument(
  body: string,
  pipeline: PipelineContext,
  log: Logger = consoleLogger,
): Promise<DocumentOutcome> {
  let calls: CommandCall[];
  try {
    calls = readEnvelopes(readXml(body)).map(({ command, version, payload }) => ({
      command,
      version,
      payload: { xml: payload },
    }));
  } catch (error) {
    const outcome = failed(undefined, error, log);
    if (pipeline.trace) pipeline.trace.resultCode = outcome.resultCode;
    return { outcomes: [outcome], notXml: error instanceof NotXml };
  }
  return {
    outcomes:
      calls.length === 1
        ? [await runCommand(calls[0], pipeline, log)]
        : await runCommands(calls, pipeline, log),
  };
}

/** Runs one command: resolve -> caller -> decode + validate -> authorize -> handle (its own transaction). */
export async function runCommand(
  call: CommandCall,
  pipeline: PipelineContext,
  log: Logger = consoleLogger,
): Promise<CommandOutcome> {
  const outcome = await runOne(call, pipeline, log);
  traceOutcomes(pipeline.trace, [call], [outcome]);
  return outcome;
}

async function runOne(
  call: CommandCall,
  pipeline: PipelineContext,
  log: Logger,
): Promise<CommandOutcome> {
  let command: RegisteredCommand | undefined;
  try {
    command = resolve(call, pipeline.registry);
    // Who asks is settled before the payload is read: without a live session only 7 comes back.
    const caller = await resolveCaller(
      command.key,
      command.definition.permission !== 'NONE',
      pipeline,
    );
    const input = readPayload(command, call.payload);
    const ctx = await authorize(command, input, { ...pipeline, caller });
    const handle = command.definition.handle;
    return succeeded(command, await retryConflicts(() => handle(input, ctx), log));
  } catch (error) {
    return failed(command, error, log);
  }
}

/** The permission a document of several commands needs, besides each command's own (docs/protocol.md §5). */
export const BATCH_PERMISSION: Permission = 'TICKET_BATCH';

/**
 * Several commands in one transaction, in order: all or none (docs/protocol.md §8.5). When command #k fails,
 * everything is rolled back; #k answers its own error, the ones before it 35 "rolled back", the
 * ones after it 35 "not run". The commands' own transactions become savepoints of this one.
 */
export async function runCommands(
  calls: CommandCall[],
  pipeline: PipelineContext,
  log: Logger = consoleLogger,
): Promise<CommandOutcome[]> {
  const outcomes = await runAll(calls, pipeline, log);
  traceOutcomes(pipeline.trace, calls, outcomes);
  return outcomes;
}

/** Tells the exchange's observers which commands ran and what they answered. */
function traceOutcomes(
  trace: ExchangeTrace | undefined,
  calls: CommandCall[],
  outcomes: CommandOutcome[],
): void {
  if (!trace) return;
  // Assigned, not appended: a command rerun after a conflict is still one exchange.
  trace.commands = calls.map((call) => `${call.command}_V${call.version}`);
  trace.resultCode = documentResultCode(outcomes);
  trace.resultCodes = outcomes.map((outcome) => outcome.resultCode);
}

async function runAll(
  calls: CommandCall[],
  pipeline: PipelineContext,
  log: Logger,
): Promise<CommandOutcome[]> {
  const commands: (RegisteredCommand | undefined)[] = calls.map((call) =>
    pipeline.registry.get(call.command, call.version),
  );
  const refuseAll = (error: unknown) => calls.map((_, i) => failed(commands[i], error, log));
  if (calls.length > MAX_COMMANDS) {
    return refuseAll(
      new InvalidRequest(
        `${calls.length} commands in one batch; at most ${MAX_COMMANDS} run together. Nothing was run`,
      ),
    );
  }
  let caller: Caller;
  try {
    caller = await resolveCaller(`A batch of ${calls.length} commands`, true, pipeline);
    if (!caller.permissions.has(BATCH_PERMISSION)) {
      throw new PermissionDenied(
        `A batch of ${calls.length} commands needs the permission ${BATCH_PERMISSION}, which user ${caller.name} does not have; nothing was run`,
      );
    }
  } catch (error) {
    return refuseAll(error);
  }
  // Reading every payload first costs no database work when one of them is wrong.
  const inputs: unknown[] = [];
  for (let i = 0; i < calls.length; i++) {
    try {
      const command = resolve(calls[i], pipeline.registry);
      inputs.push(readPayload(command, calls[i].payload));
    } catch (error) {
      return afterFailure(calls, commands, i, failed(commands[i], error, log));
    }
  }
  const ran = await retryConflicts(
    () =>
      pipeline.db.transaction(async (trx) => {
        const outputs: CommandOutcome[] = [];
        for (let i = 0; i < calls.length; i++) {
          const command = commands[i]!;
          try {
            // Inside the transaction, so that a permission decided from the data (SaveTicket:
            // create or update) sees what the commands before it did.
            const ctx = await authorize(command, inputs[i], { ...pipeline, db: trx, caller });
            outputs.push(succeeded(command, await command.definition.handle(inputs[i], ctx)));
          } catch (error) {
            // A conflict reruns the whole batch; any other failure ends it here.
            if (isRetryableConflict(error)) throw error;
            throw new BatchFailed(i, error);
          }
        }
        return outputs;
      }),
    log,
  ).catch((error: unknown) => error);
  if (Array.isArray(ran)) return ran;
  if (ran instanceof BatchFailed)
    return afterFailure(calls, commands, ran.index, failed(commands[ran.index], ran.error, log));
  return refuseAll(ran); // the commit itself failed: nothing happened
}

/** Carries the failing command's index out of the transaction, which rolls back on any throw. */
class BatchFailed {
  constructor(
    readonly index: number,
    readonly error: unknown,
  ) {}
}

function afterFailure(
  calls: CommandCall[],
  commands: (RegisteredCommand | undefined)[],
  k: number,
  failure: CommandOutcome,
): CommandOutcome[] {
  const key = commands[k]?.key ?? `${calls[k].command}_V${calls[k].version}`;
  return calls.map((_, i) => {
    if (i === k) return failure;
    const message = i < k ? `rolled back: ${key} #${k + 1} failed` : 'not run';
    return failed(commands[i], new InvalidRequest(message), () => {});
  });
}

function resolve(call: CommandCall, registry: Registry): RegisteredCommand {
  const command = registry.get(call.command, call.version);
  if (command) return command;
  const known = registry.versions().get(call.command);
  throw new UnknownCommand(
    known
      ? `${call.command} has no version ${call.version}; this gateway serves version ${known.join(', ')}`
      : `Unknown command ${call.command}; GetCommandVersions_V1 lists the commands this gateway serves`,
  );
}

function succeeded(command: RegisteredCommand, output: Record<string, unknown>): CommandOutcome {
  // FirstErrorMsg (list-saving commands only; the schema decides) is empty on success.
  return {
    command,
    resultCode: ResultCode.OK,
    message: 'OK',
    fields: { FirstErrorMsg: '', ...output, ResultCode: ResultCode.OK, ResultMessage: 'OK' },
  };
}

function failed(
  command: RegisteredCommand | undefined,
  error: unknown,
  log: Logger,
): CommandOutcome {
  const { resultCode, message } = toWire(error, log);
  const extra = (error as { firstErrorMsg?: string } | undefined)?.firstErrorMsg;
  // Fields a refusal still answers with (LoginResult of a failed login).
  const own = (error as { responseFields?: Record<string, unknown> } | undefined)?.responseFields;
  const fields = command
    ? {
        ...own,
        ...(extra !== undefined ? { FirstErrorMsg: extra } : {}),
        ResultCode: resultCode,
        ResultMessage: message,
      }
    : { ResultCode: resultCode, ResultMessage: message };
  return { command, resultCode, message, fields };
}

/** The ResultCode a transport reports for a whole document: the first failure's, else 0. */
export function documentResultCode(outcomes: CommandOutcome[]): number {
  const failure = outcomes.find(
    (o) =>
      o.resultCode !== ResultCode.OK &&
      o.message !== 'not run' &&
      !o.message.startsWith('rolled back: '),
  );
  return (failure ?? outcomes.find((o) => o.resultCode !== ResultCode.OK) ?? outcomes[0])
    .resultCode;
}

/** The ICQL answer to a document: the outcomes' response elements, or the Error envelope. */
export function renderIcql(outcomes: CommandOutcome[]): string {
  if (outcomes.length === 1 && !outcomes[0].command)
    return writeErrorEnvelope(outcomes[0].resultCode, outcomes[0].message);
  return writeEnvelopes(
    outcomes.map((o) =>
      o.command
        ? {
            command: o.command.definition.name,
            version: o.command.definition.version,
            body: responseLines(o, 4),
          }
        : { command: 'Error', version: 1, body: errorLines(o, 4) },
    ),
  );
}

/** The response payload's field lines (payload fields, FirstErrorMsg, ResultCode, ResultMessage) at `depth`. */
export function responseLines(outcome: CommandOutcome, depth: number): string[] {
  if (!outcome.command) return errorLines(outcome, depth);
  const out = new XmlLines();
  const shape = outcome.command.response;
  if (shape.kind !== 'object')
    throw new Error(`${outcome.command.key}: response must be an object`);
  for (const [name, sub] of shape.fields) render(out, depth, name, outcome.fields[name], sub);
  return out.lines;
}

function errorLines(outcome: CommandOutcome, depth: number): string[] {
  const out = new XmlLines();
  out.leaf(depth, 'ResultCode', String(outcome.resultCode));
  out.leaf(depth, 'ResultMessage', outcome.message);
  return out.lines;
}

/** The response payload as JSON (docs/protocol.md §8.4): the same fields, typed by the schema. */
export function outcomeJson(outcome: CommandOutcome): Record<string, unknown> {
  if (!outcome.command) return { ResultCode: outcome.resultCode, ResultMessage: outcome.message };
  return toJson(outcome.fields, outcome.command.response) as Record<string, unknown>;
}

/**
 * Throws PermissionDenied (35) unless the caller holds the permission the command declares
 * (docs/protocol.md §5); the handler never runs then. Returns the handler's context.
 */
async function authorize(
  command: RegisteredCommand,
  input: unknown,
  ctx: CommandContext,
): Promise<CommandContext> {
  const rule = command.definition.permission;
  if (rule === 'NONE') return ctx;
  const needed = typeof rule === 'function' ? await rule(input, ctx) : rule;
  if (!ctx.caller.permissions.has(needed)) {
    throw new PermissionDenied(
      `${command.key} needs the permission ${needed}, which user ${ctx.caller.name} does not have; nothing was changed`,
    );
  }
  return ctx;
}

/**
 * The one place the caller is decided (docs/protocol.md §5). Commands that need no permission (meta commands,
 * login) look nobody up and need no session. Otherwise a sent session acts as its user, also in
 * open mode (a stale session is refused, not silently widened to the ApiUser); without a session
 * the transport's open-mode caller, if any; else 7. `what` names the command (or batch) in the 7.
 */
async function resolveCaller(
  what: string,
  needsPermission: boolean,
  { db, session, caller, limits, trace }: PipelineContext,
): Promise<Caller> {
  if (!needsPermission)
    return caller === undefined || typeof caller === 'function' ? ANONYMOUS : caller;
  if (session) {
    const user = await sessionCaller(db, session, limits?.session);
    if (!user)
      throw new SessionRequired(
        `${what}: the session in X-SICS-SESSION is unknown or has expired; ${LOG_IN_FIRST}`,
      );
    if (trace) trace.user = { id: user.id, name: user.name };
    return { id: user.id, name: user.name, permissions: new Set(user.permissions) };
  }
  if (caller === undefined) throw new SessionRequired(`${what} needs a session: ${LOG_IN_FIRST}`);
  const resolved = typeof caller === 'function' ? await caller() : caller;
  if (trace && resolved.id !== ANONYMOUS.id) trace.user = { id: resolved.id, name: resolved.name };
  return resolved;
}

/** Runs beyond the first when PostgreSQL rolls a command back for a deadlock or serialization failure. */
export const CONFLICT_RETRIES = 3;

/**
 * Runs a handler again when PostgreSQL rolled its transaction back for a deadlock or a
 * serialization failure: each handler runs in its own transaction, so nothing of the failed run
 * remains. A short random pause lets the other transaction finish first.
 */
export async function retryConflicts<T>(
  run: () => Promise<T>,
  log: Logger,
  retries = CONFLICT_RETRIES,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt > retries || !isRetryableConflict(error)) throw error;
      log(
        `database conflict (${(error as { code?: string }).code}), running the command again (${attempt} of ${retries})`,
      );
      await new Promise((resolve) => setTimeout(resolve, attempt * 20 + Math.random() * 30));
    }
  }
}

function readPayload(command: RegisteredCommand, payload: CommandCall['payload']): unknown {
  const errors: FieldError[] = [];
  const raw =
    'json' in payload
      ? decodeJson(payload.json ?? {}, command.request, '', errors)
      : decode(
          payload.xml ?? { name: '', attrs: {}, children: [], text: '' },
          command.request,
          '',
          errors,
        );
  if (raw !== undefined && !command.validate(raw))
    errors.push(...describeErrors(command.request, command.validate.errors ?? []));
  if (errors.length) throw new ValidationFailed(errors);
  const value = normalize(raw, command.request, '', errors);
  if (errors.length) throw new ValidationFailed(errors);
  return value;
}

/**
 * The one 19 that cannot promise "nothing was changed" (docs/protocol.md §3): the COMMIT was
 * sent and never answered. Every write names what it writes by the Ids the client chose, so the
 * same request again does nothing twice: it meets its own work and answers 0 without a change (a
 * delete that happened answers 30, the Ids being gone).
 */
const commitOutcomeUnknown = (ref: string) =>
  `The database stopped answering while it was committing this request; whether it was stored is unknown. Sending the same request again is safe: what is already stored is not stored twice (reference ${ref})`;

/** Maps any throwable to ResultCode and message, once (architecture guide, convention 7). */
export function toWire(error: unknown, log: Logger): { resultCode: number; message: string } {
  if (error instanceof GatewayError)
    return { resultCode: error.resultCode, message: error.message };
  const ref = randomUUID();
  if (isCommitOutcomeUnknown(error)) {
    log(`database lost while committing ${ref}`, error);
    return { resultCode: ResultCode.DatabaseError, message: commitOutcomeUnknown(ref) };
  }
  if (isDatabaseUnavailable(error)) {
    log(`database unavailable ${ref}`, error);
    return {
      resultCode: ResultCode.DatabaseError,
      message: `The database is unavailable or did not answer in time; nothing was changed. Try again later (reference ${ref})`,
    };
  }
  if (isRetryableConflict(error)) {
    // Still conflicting after CONFLICT_RETRIES runs: heavy contention, worth a later try.
    log(`database conflict ${ref}`, error);
    return {
      resultCode: ResultCode.DatabaseError,
      message: `The database is busy with conflicting changes to the same data; nothing was changed. Try again later (reference ${ref})`,
    };
  }
  log(`internal error ${ref}`, error);
  return {
    resultCode: ResultCode.InternalError,
    message: `Internal error; the gateway log has the details under reference ${ref}`,
  };
}
