/**
 * Removing expired rows: the prune itself (one statement, or batches sized to take 25–50 ms each),
 * one at a time per store, and the background timer that runs it, unref'd (it never keeps the
 * process alive) and re-armed after each run, with jitter so app instances started together spread out.
 */
import createDebug from 'debug';
import { isRetryable } from './database-errors.js';
import { DatabaseError } from './errors.js';
import { sleep } from './lifecycle.js';

const debug = createDebug('sequelize-session-store');

/**
 * Prune batches in a row that may lose to another pruner (on a multi-primary cluster, a batch whose
 * rows another node deleted first fails certification as a deadlock) before the prune gives up.
 */
const MAX_PRUNE_CONFLICTS = 20;

const MIN_PRUNE_BATCH = 500;
const MAX_PRUNE_BATCH = 80_000;

export interface PrunerOptions {
  /** Ms between the end of a timed prune and the next; 0 disables the timer. */
  readonly interval: number;
  /** Rows of the first batch; undefined where one statement deletes every expired row. */
  readonly firstBatch: number | undefined;
  /** Runs one prune statement (at most `limit` rows, or all) under a deadline of its own; resolves to the rows removed. */
  batch(now: number, limit: number | undefined): Promise<number>;
  /** How a timed prune runs (the store counts it in flight). */
  schedule(prune: () => Promise<number>): Promise<unknown>;
  /** Whether the store closed: a prune then stops after its current batch. */
  closed(): boolean;
  onError(error: unknown): void;
}

export class Pruner {
  readonly #options: PrunerOptions;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #pruning: Promise<number> | undefined;
  /** Rows per prune batch, learned so that each batch takes 25–50 ms. */
  #size: number | undefined;

  constructor(options: PrunerOptions) {
    this.#options = options;
    this.#size = options.firstBatch;
  }

  start(): void {
    if (this.#options.interval > 0 && !this.#stopped) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Prunes now; a second caller shares the running prune. Resolves to how many rows were removed. */
  prune(): Promise<number> {
    this.#pruning ??= this.#batches().finally(() => (this.#pruning = undefined));
    return this.#pruning;
  }

  async #batches(): Promise<number> {
    const now = Date.now();
    if (this.#size === undefined) return this.#options.batch(now, undefined);
    let total = 0;
    let conflicts = 0;
    for (;;) {
      const size = this.#size;
      const started = performance.now();
      let removed: number;
      try {
        removed = await this.#options.batch(now, size);
        conflicts = 0;
      } catch (error) {
        // The batch removed nothing, and the rows it lost on were another pruner's: go on with the rest.
        if (++conflicts < MAX_PRUNE_CONFLICTS && error instanceof DatabaseError && isRetryable({ code: error.driverCode })) {
          await sleep(10 + Math.random() * 50);
          continue;
        }
        throw error;
      }
      const took = performance.now() - started;
      total += removed;
      if (removed < size || this.#options.closed()) break;
      // Short batches keep readers and writers waiting briefly (SQLite blocks them all meanwhile);
      // too many tiny ones make the whole prune slow. Sizes stay powers of two apart: few statements.
      if (took < 25) this.#size = Math.min(MAX_PRUNE_BATCH, size * 2);
      else if (took > 50) this.#size = Math.max(MIN_PRUNE_BATCH, Math.floor(size / 2));
    }
    debug('pruned %d expired rows', total);
    return total;
  }

  #arm(): void {
    // ±10% jitter keeps instances that started together from pruning in lockstep.
    const delay = Math.round(this.#options.interval * (0.9 + Math.random() * 0.2));
    this.#timer = setTimeout(() => this.#run(), delay);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    this.#options
      .schedule(() => this.prune())
      .catch((error: unknown) => this.#options.onError(error))
      .finally(() => {
        if (!this.#stopped) this.#arm();
      });
  }
}
