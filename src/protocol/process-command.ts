// The core pipeline, free of HTTP (architecture guide, conventions 5 and 6):
//   parse -> resolve command -> decode + validate -> handle -> render, one error renderer.
import { randomUUID } from 'crypto';
import type { CommandContext } from '../commands/types';
import type { RegisteredCommand } from '../commands/registry';
import { describeErrors } from '../validation/validator';
import { isDatabaseFailure } from '../db/failures';
import { decode, normalize, render } from './codec';
import { readEnvelope, writeEnvelope, writeErrorEnvelope } from './envelope';
import { FieldError, GatewayError, NotXml, UnknownCommand, ValidationFailed } from './errors';
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

export async function processCommand(body: string, ctx: CommandContext, log: Logger = consoleLogger): Promise<CommandResult> {
  let command: RegisteredCommand | undefined;
  try {
    const envelope = readEnvelope(readXml(body));
    command = ctx.registry.get(envelope.command, envelope.version);
    if (!command) {
      const known = ctx.registry.versions().get(envelope.command);
      throw new UnknownCommand(
        known
          ? `${envelope.command} has no version ${envelope.version}; this gateway serves version ${known.join(', ')}`
          : `Unknown command ${envelope.command}; GetCommandVersions_V1 lists the commands this gateway serves`,
      );
    }
    const input = readPayload(command, envelope.payload);
    const output = await command.definition.handle(input, ctx);
    // FirstErrorMsg (list-saving commands only; the schema decides) is empty on success.
    const fields = { FirstErrorMsg: '', ...output, ResultCode: ResultCode.OK, ResultMessage: 'OK' };
    return { resultCode: ResultCode.OK, xml: renderResponse(command, fields) };
  } catch (error) {
    const { resultCode, message } = toWire(error, log);
    const extra = (error as { firstErrorMsg?: string }).firstErrorMsg;
    const xml = command
      ? renderResponse(command, { ...(extra !== undefined ? { FirstErrorMsg: extra } : {}), ResultCode: resultCode, ResultMessage: message })
      : writeErrorEnvelope(resultCode, message);
    return { resultCode, xml, notXml: error instanceof NotXml };
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
  if (isDatabaseFailure(error)) {
    log(`database failure ${ref}`, error);
    return { resultCode: ResultCode.DatabaseError, message: `The database is unavailable or failed; nothing was changed. Try again later (reference ${ref})` };
  }
  log(`internal error ${ref}`, error);
  return { resultCode: ResultCode.InternalError, message: `Internal error; the gateway log has the details under reference ${ref}` };
}
