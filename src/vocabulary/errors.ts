// Typed errors with stable ResultCodes (architecture guide, convention 7). Domain code throws
// these; processCommand maps them to the wire in one place.
import { ResultCode, type ResultCodeValue } from './result-codes';

export class GatewayError extends Error {
  constructor(
    readonly resultCode: ResultCodeValue,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 35: anything wrong with the request itself. */
export class InvalidRequest extends GatewayError {
  constructor(message: string) {
    super(ResultCode.InvalidRequest, message);
  }
}

/** 35, and the transport answers HTTP 400: the body is not XML at all. */
export class NotXml extends InvalidRequest {}

/** 35: well-formedness, DOCTYPE, nesting. */
export class MalformedXml extends InvalidRequest {}

/** 35 in the generic Error envelope: the command or version cannot be recognised. */
export class UnknownCommand extends InvalidRequest {}

export interface FieldError {
  path: string;
  message: string;
}

/** More problems than this are counted, not listed: an answer stays readable and small. */
const MAX_LISTED = 100;

/** 35: schema violations; the message names all of them with their paths (docs/protocol.md §1). */
export class ValidationFailed extends InvalidRequest {
  constructor(readonly errors: FieldError[]) {
    super(
      (errors.length === 1 ? '1 error: ' : `${errors.length} errors: `) +
        errors.slice(0, MAX_LISTED).map(describe).join('; ') +
        (errors.length > MAX_LISTED ? `; and ${errors.length - MAX_LISTED} more` : ''),
    );
  }

  /** For list-saving commands: the first problem, in the same words (docs/protocol.md §1, FirstErrorMsg). */
  get firstErrorMsg(): string {
    return describe(this.errors[0]);
  }
}

function describe(e: FieldError): string {
  return e.path ? `${e.path}: ${e.message}` : e.message;
}

/** 35: a business rule of docs/protocol.md §7 is broken. */
export class RuleViolation extends InvalidRequest {}

/** 35 (docs/protocol.md §5): the caller lacks the permission the command needs; nothing was changed. */
export class PermissionDenied extends InvalidRequest {}

/** 30: a referenced ticket, comment, user … does not exist. */
export class NotFound extends GatewayError {
  constructor(message: string) {
    super(ResultCode.ElementNotFound, message);
  }
}

/** 26: LinkClientsToTicket with an unknown client. */
export class ClientNotFound extends GatewayError {
  constructor(message: string) {
    super(ResultCode.ClientNotExist, message);
  }
}

/** 7 (docs/protocol.md §5): a command that needs a permission came without a live session while authentication is on. */
export class SessionRequired extends GatewayError {
  constructor(message: string) {
    super(ResultCode.InvalidSession, message);
  }
}

/**
 * 15 (docs/protocol.md §5): wrong user name, password or token, or a throttled name; one message for all, so
 * the answer does not tell which. The response still carries LoginResult.
 */
export class LoginRefused extends GatewayError {
  readonly responseFields = { LoginResult: 'IncorrectCredentials' };
  constructor() {
    super(
      ResultCode.UserNamePasswordWrong,
      'Incorrect user name or credentials; nothing was logged in',
    );
  }
}
