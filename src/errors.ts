/**
 * The store's error tree. Every error has a stable `code`. Messages never hold a session id,
 * session contents, SQL text or bound parameters: a message may end up in a log that many read.
 */

/** Codes of every error the store raises. */
export type ErrorCode =
  | 'ERR_INVALID_OPTION'
  | 'ERR_INVALID_SEQUELIZE'
  | 'ERR_INVALID_MODEL'
  | 'ERR_INVALID_TABLE'
  | 'ERR_INVALID_SID'
  | 'ERR_INVALID_SESSION'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_SESSION_NOT_SERIALIZABLE'
  | 'ERR_SESSION_TOO_LARGE'
  | 'ERR_EXTRAS_FAILED'
  | 'ERR_CORRUPT_SESSION'
  | 'ERR_DATABASE'
  | 'ERR_TIMEOUT'
  | 'ERR_STORE_CLOSED';

/** Base class of every error the store raises. */
export class SessionStoreError extends Error {
  readonly code: ErrorCode;
  /** True when retrying the same operation later may succeed (lost connection, deadlock, timeout). */
  readonly transient: boolean;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; transient?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.transient = options?.transient ?? false;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

/** A wrong option, Sequelize instance or model, thrown by the constructor. */
export class ConfigurationError extends SessionStoreError {}

/** A bad argument to an operation: a sid, a session or an `extras` result. Nothing was written. */
export class InvalidInputError extends SessionStoreError {}

/** A row that cannot be decoded. Reported through the `error` event; the operation treats it as a miss. */
export class CorruptSessionError extends SessionStoreError {}

/** The database failed or did not answer in time. */
export class DatabaseError extends SessionStoreError {
  /** The driver's own error code (`ECONNREFUSED`, `40P01`, `ER_LOCK_DEADLOCK`, `SQLITE_BUSY`, …), when it has one. */
  readonly driverCode: string | undefined;

  constructor(
    code: 'ERR_DATABASE' | 'ERR_TIMEOUT',
    message: string,
    options: { transient: boolean; driverCode?: string | undefined },
  ) {
    super(code, message, { transient: options.transient });
    this.driverCode = options.driverCode;
  }
}

/** An operation was called after `close()`. */
export class StoreClosedError extends SessionStoreError {
  constructor(operation: string) {
    super('ERR_STORE_CLOSED', `Cannot ${operation}: the session store is closed`);
  }
}

/** Describes a value for a message without echoing it when it could be a secret. */
export function describe(value: unknown, secret = false): string {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  if (secret || type === 'object' || type === 'function' || type === 'array') return `(${type})`;
  const text = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  return `\`${text}\` (${type})`;
}

/** One message format for every invalid option: its path, what was expected, what was given. */
export function invalidOption(path: string, expected: string, given: unknown, secret = false): ConfigurationError {
  return new ConfigurationError('ERR_INVALID_OPTION', `Expected \`${path}\` to be ${expected}, got ${describe(given, secret)}`);
}
