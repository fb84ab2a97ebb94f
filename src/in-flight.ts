/**
 * Concurrent operations on one session that share one statement: reads of a key share the query
 * in flight, and a running touch stands in for one that would move the expiry no further.
 */
export class InFlight<Row> {
  readonly #reads = new Map<string, Promise<Row | undefined>>();
  readonly #touches = new Map<string, { expire: number; promise: Promise<void> }>();

  /** The read of `key` in flight, if any. */
  read(key: string): Promise<Row | undefined> | undefined {
    return this.#reads.get(key);
  }

  /** Shares `read` with later reads of `key` until it settles. */
  reading(key: string, read: Promise<Row | undefined>): Promise<Row | undefined> {
    this.#reads.set(key, read);
    // Only this exact query leaves the map: a write may have replaced it with a newer one meanwhile.
    const forget = () => {
      if (this.#reads.get(key) === read) this.#reads.delete(key);
    };
    read.then(forget, forget);
    return read;
  }

  /** A write of `key` is under way: later reads must not share one that began before it. */
  writing(key: string): void {
    this.#reads.delete(key);
  }

  /** A whole-table write is under way. */
  writingAll(): void {
    this.#reads.clear();
  }

  /** The touch in flight that stands in for a touch to `expire`: never for an earlier one, nor one that moves it a window further. */
  touch(key: string, expire: number, touchAfter: number): Promise<void> | undefined {
    const running = this.#touches.get(key);
    if (running !== undefined && (expire === running.expire || (expire > running.expire && expire - running.expire < touchAfter))) {
      return running.promise;
    }
    return undefined;
  }

  /** Shares `touch` (to `expire`) with later touches of `key`. */
  touching(key: string, expire: number, touch: Promise<void>): Promise<void> {
    this.#touches.set(key, { expire, promise: touch });
    // Leaves the map when its callers hear the outcome (a timeout included), not when a lost query
    // ends: later touches must not share a rejection that is already stale.
    const forget = () => {
      if (this.#touches.get(key)?.promise === touch) this.#touches.delete(key);
    };
    touch.then(forget, forget);
    return touch;
  }
}
