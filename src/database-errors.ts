/**
 * Turns what Sequelize throws into a {@link DatabaseError} whose message is safe to log. Sequelize's
 * errors carry the SQL's bound parameters (`parameters`, `fields`, `errors`), and some drivers quote
 * them in their message (MariaDB appends them; MySQL quotes a duplicate key): none of that is kept,
 * while the driver's own words and the names of tables and columns are.
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

const REDACTED = '[redacted]';

/** A letter, digit or underscore: what a token is made of. */
const WORD = /[\p{L}\p{N}_]/u;

const isWordAt = (text: string, index: number): boolean => index >= 0 && index < text.length && WORD.test(text[index]!);

/** The texts a driver could echo of the bound values: strings, and numbers (MySQL binds times as ms). */
function boundTexts(bound: readonly unknown[]): string[] {
  const texts: string[] = [];
  for (const value of bound) {
    if (typeof value === 'string') {
      if (value.length > 0) texts.push(value);
    } else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') {
      texts.push(String(value));
    }
  }
  // Longest first: a value that contains another is removed whole.
  return texts.sort((a, b) => b.length - a.length);
}

/** `text` with every occurrence of `value` that stands as a whole token (not inside a word) replaced. */
function removeToken(text: string, value: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) {
    if (at < from) continue;
    const end = at + value.length;
    // A value's own first or last character may be a word character only where the text's is not.
    if ((isWordAt(value, 0) && isWordAt(text, at - 1)) || (isWordAt(value, value.length - 1) && isWordAt(text, end))) continue;
    out += text.slice(from, at) + REDACTED;
    from = end;
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Shortest quoted prefix taken for a truncated echo of a bound value (MySQL cuts a duplicate key at 64). */
const MIN_TRUNCATED_ECHO = 16;

/**
 * The driver's words with every bound value removed as a whole token, then cut to its first line,
 * before any echo of the statement, and to 200 characters. Identifiers and the rest stay readable.
 */
function safeDetail(raw: RawError, bound: readonly unknown[]): string {
  const driverMessage = driverError(raw)?.message;
  let text = typeof driverMessage === 'string' ? driverMessage : typeof raw.message === 'string' ? raw.message : '';
  const values = boundTexts(bound);
  // Removal comes first: a cut could leave part of a value (its first line, its start) unmatched.
  for (const value of values) if (text.includes(value)) text = removeToken(text, value);
  // MySQL and MariaDB quote a long duplicate key cut short (and MariaDB adds "..."): the cut echo goes too.
  text = text.replace(/'([^'\n]*)'/g, (quoted, inner: string) => {
    const head = inner.endsWith('...') ? inner.slice(0, -3) : inner;
    return head.length >= MIN_TRUNCATED_ECHO && values.some((value) => value.length > head.length && value.startsWith(head)) ? `'${REDACTED}'` : quoted;
  });
  text = text.split('\n', 1)[0]!.split(/\bsql:/i, 1)[0]!.trim();
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
