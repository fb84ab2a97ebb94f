/**
 * Turns what Sequelize throws into a {@link DatabaseError} whose message is safe to log. Sequelize's
 * errors carry the SQL's bound parameters (`parameters`, `fields`, `errors`), and some drivers quote
 * them in their message (MariaDB appends them; MySQL quotes a duplicate key): none of that is kept.
 */
import { DatabaseError } from './errors.js';

interface DriverError {
  code?: unknown;
  message?: unknown;
}

interface RawError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  cause?: DriverError;
  parent?: DriverError;
}

/** The driver's error under Sequelize's: `cause` in v7 (whose `parent` getter is deprecated), `parent` in v6. */
const driverError = (error: RawError): DriverError | undefined =>
  typeof error.cause === 'object' && error.cause !== null ? error.cause : error.parent;

const TRANSIENT_NAMES = new Set([
  'SequelizeConnectionError',
  'SequelizeConnectionRefusedError',
  'SequelizeConnectionTimedOutError',
  'SequelizeConnectionAcquireTimeoutError',
  'SequelizeHostNotReachableError',
  'SequelizeHostNotFoundError',
  'SequelizeTimeoutError',
]);

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  'PROTOCOL_CONNECTION_LOST', 'ER_CONNECTION_TIMEOUT', 'ER_SOCKET_UNEXPECTED_CLOSE',
  // PostgreSQL: serialization failure, deadlock, lock timeout, admin and crash shutdown, cannot connect now.
  '40001', '40P01', '55P03', '57P01', '57P02', '57P03',
  // PostgreSQL 25006, MySQL/MariaDB 1290: a read-only server, as a standby is until its promotion.
  '25006', 'ER_OPTION_PREVENTS_STATEMENT',
  // Galera 1047: the node is not in the primary component (a quorum loss, a joining node); 1180:
  // a write in flight when it lost it, rolled back.
  'ER_UNKNOWN_COM_ERROR', 'ER_ERROR_DURING_COMMIT',
  'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY', 'SQLITE_LOCKED',
]);

/**
 * 08P01 (protocol violation) is a refusal that stays: an unsupported startup parameter, a
 * database or user a pooler does not know. pgbouncer sends the same code when it cannot serve for
 * now, and says so in its words.
 */
const PROTOCOL_VIOLATION = '08P01';
const POOLER_BUSY = /cannot connect to server|login has been failing|no more connections allowed|query_wait_timeout|shutting down|server conn crashed|paused/i;

const codeOf = (error: RawError): string | undefined => {
  const code = driverError(error)?.code ?? error.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
};

const LOST_CONNECTION = /connection terminated|connection (?:lost|closed)|client has encountered a connection error|server closed the connection/i;

/** Contention that the same statement, run again at once, usually gets past. */
const RETRYABLE_CODES = new Set(['40001', '40P01', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT', 'SQLITE_BUSY', 'SQLITE_LOCKED']);

export function isRetryable(error: unknown): boolean {
  const code = codeOf((error ?? {}) as RawError);
  return code !== undefined && RETRYABLE_CODES.has(code);
}

/** Whether retrying later may succeed: a lost or refused connection, a deadlock, a busy database. */
export function isTransient(error: unknown): boolean {
  const raw = (error ?? {}) as RawError;
  const code = codeOf(raw);
  const message = driverError(raw)?.message ?? raw.message;
  if (code === PROTOCOL_VIOLATION) return typeof message === 'string' && POOLER_BUSY.test(message);
  return (
    (typeof raw.name === 'string' && TRANSIENT_NAMES.has(raw.name)) ||
    (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('08'))) ||
    // pg reports a connection lost mid-query with no code at all.
    (typeof message === 'string' && LOST_CONNECTION.test(message))
  );
}

/** The first line of the driver's message, cut before any echo of the statement, with every bound text removed. */
function safeDetail(raw: RawError, bound: readonly unknown[]): string {
  const driverMessage = driverError(raw)?.message;
  let text = typeof driverMessage === 'string' ? driverMessage : typeof raw.message === 'string' ? raw.message : '';
  text = text.split('\n', 1)[0]!.split(/\bsql:/i, 1)[0]!.trim();
  for (const value of bound) {
    if (typeof value === 'string' && value.length > 0) text = text.split(value).join('[redacted]');
  }
  // MySQL quotes the offending value of a duplicate key; nothing else of the message matters there.
  text = text.replace(/'[^']*'/g, (quoted) => (quoted.length > 2 ? "'[redacted]'" : quoted));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

export function toDatabaseError(operation: string, error: unknown, bound: readonly unknown[]): DatabaseError {
  const raw = (error ?? {}) as RawError;
  const name = typeof raw.name === 'string' ? raw.name : 'Error';
  const code = codeOf(raw);
  const detail = safeDetail(raw, bound);
  const message = `Session store ${operation} failed: ${name}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`;
  return new DatabaseError('ERR_DATABASE', message, { transient: isTransient(error), driverCode: code });
}
