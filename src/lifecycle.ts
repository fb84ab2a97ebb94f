/**
 * How every operation of a store runs: after the store is ready (prepared once, before the first
 * operation, and tried again after a failure), counted in flight, settled by operationTimeout, its
 * statements retried on contention; and close(), which waits for what is in flight.
 */
import { isRetryable, toDatabaseError } from './database-errors.js';
import { DatabaseError, StoreClosedError } from './errors.js';
import type { CausalReads } from './dialects/dialect.js';
import { Deadlines } from './deadlines.js';
import { Deadline, type Execution, type Shape } from './execution.js';
import type { Statement } from './statements.js';

/** Attempts of a statement that failed on contention (deadlock, serialization, busy database). */
const MAX_ATTEMPTS = 3;
/**
 * On a multi-primary cluster, writes of one session through several nodes at once fail
 * certification (reported as a deadlock) far more often than a single server deadlocks.
 */
const MULTI_PRIMARY_ATTEMPTS = 6;

/** The deadline of work bounded otherwise (a prune, batch by batch): it never passes. */
const UNBOUNDED = new Deadline();

/** A server setting read back as 1, true, 1n, '1' or 'ON', whichever the driver and path return. */
function isOn(value: unknown): boolean {
  if (value === true || value === 1 || value === 1n) return true;
  const text = Buffer.isBuffer(value) ? value.toString() : typeof value === 'string' ? value : '';
  return text.trim() === '1' || text.trim().toUpperCase() === 'ON';
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Lifecycle {
  readonly #exec: Execution;
  readonly #timeout: number;
  readonly #prepare: (deadline: Deadline) => Promise<void>;
  /** Settles once the store is ready; reset after a failure so the next operation tries again. */
  #ready: Promise<void> | undefined;
  #isReady: boolean;
  #closed = false;
  #inFlight = 0;
  /** What every close() call waits on: settled once nothing is in flight and callers have their results. */
  #drain: { promise: Promise<void>; resolve: () => void } | undefined;
  #maxAttempts = MAX_ATTEMPTS;
  readonly #deadlines = new Deadlines();

  /** `prepare` runs before the first operation unless `ready` says there is nothing to prepare. */
  constructor(exec: Execution, timeout: number, ready: boolean, prepare: (deadline: Deadline) => Promise<void>) {
    this.#exec = exec;
    this.#timeout = timeout;
    this.#isReady = ready;
    this.#prepare = prepare;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get ready(): boolean {
    return this.#isReady;
  }

  /**
   * Whether the server is a node of a multi-primary cluster, whose reads must wait for other nodes'
   * writes; if so, statements get more attempts on contention.
   */
  async multiPrimary(causal: CausalReads, deadline: Deadline): Promise<boolean> {
    try {
      const [row] = (await this.query('sync', { sql: causal.probe, bind: [] }, 'rows', deadline)) as Array<Record<string, unknown>>;
      if (row === undefined || !isOn(Object.values(row)[0])) return false;
      this.#maxAttempts = MULTI_PRIMARY_ATTEMPTS;
      return true;
    } catch (error) {
      // A server that does not know the setting has no other nodes; a lost connection is tried again.
      if (error instanceof DatabaseError && error.transient) throw error;
      return false;
    }
  }

  /**
   * Counts an operation in flight (for close()), makes sure the store is ready first, and bounds it
   * by operationTimeout. A prune, which may take many batches, is bounded batch by batch instead.
   */
  track<T>(operation: string, run: (deadline: Deadline) => Promise<T>, bounded = true): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosedError(operation));
    this.#inFlight++;
    const work = (deadline: Deadline) => (this.#isReady ? run(deadline) : this.#whenReady().then(() => run(deadline)));
    const settled = bounded ? this.deadline(operation, work) : work(UNBOUNDED);
    return settled.finally(() => {
      if (--this.#inFlight === 0 && this.#drain !== undefined) this.#drained();
    });
  }

  /** Stops new operations and settles once those in flight have. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#drain === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done));
      this.#drain = { promise, resolve };
      if (this.#inFlight === 0) this.#drained();
    }
    return this.#drain.promise;
  }

  /**
   * Settles close() on the next turn of the event loop, once the callers of the last operations
   * (their awaits and callbacks, a microtask or two behind) have been handed their results.
   */
  #drained(): void {
    setImmediate(() => {
      if (this.#inFlight === 0) this.#drain?.resolve();
    });
  }

  /**
   * Settles with the work or at operationTimeout, whichever comes first; a late result is dropped.
   * The work's statements see the deadline pass before the caller hears of it: one not yet sent
   * is then never sent. One timer serves every operation of the store (deadlines.ts).
   */
  deadline<T>(operation: string, run: (deadline: Deadline) => Promise<T>): Promise<T> {
    return this.#deadlines.bound(operation, this.#timeout, run);
  }

  #whenReady(): Promise<void> {
    // Bounded like any operation: a creation lost to a frozen connection must not hold every later
    // operation (and close()) for good; the one left hanging is abandoned.
    const ready = (this.#ready ??= this.deadline('sync', async (deadline) => {
      await this.#prepare(deadline);
      this.#isReady = true;
    }).catch((error: unknown) => {
      // Not cached: the database may not be up yet, and the next operation tries again.
      if (this.#ready === ready) this.#ready = undefined;
      throw error;
    }));
    return ready;
  }

  /** Runs a statement; no async frame on the way (the hot path): a failure goes to #retry. */
  query(operation: string, statement: Statement, shape: Shape, deadline: Deadline, attempt = 1): Promise<unknown> {
    return this.#exec
      .run(statement.sql, statement.bind, shape, deadline)
      .catch((error: unknown) => this.#retry(operation, statement, shape, deadline, attempt, error));
  }

  async #retry(operation: string, statement: Statement, shape: Shape, deadline: Deadline, attempt: number, error: unknown): Promise<unknown> {
    // Past the deadline the caller has its timeout already; nothing more is tried.
    if (deadline.expired) throw error;
    // Every statement is idempotent, so one that lost a deadlock or met a busy database runs again.
    if (attempt < this.#maxAttempts && isRetryable(error)) {
      await sleep(attempt * (5 + Math.random() * 20));
      return this.query(operation, statement, shape, deadline, attempt + 1);
    }
    throw toDatabaseError(operation, error, statement.bind);
  }
}
