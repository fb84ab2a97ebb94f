/**
 * Bounds a store's operations by operationTimeout with one timer per store. Every bounded
 * operation has the same timeout, so deadlines pass in the order their operations started: a FIFO
 * of them and a single timer armed for the oldest one still running replace a setTimeout and a
 * clearTimeout per operation.
 */
import { DatabaseError } from './errors.js';
import { Deadline } from './execution.js';

/** A running operation's deadline, with what tells its caller it timed out. */
class Pending extends Deadline {
  settled = false;

  constructor(
    readonly at: number,
    readonly operation: string,
    readonly timeout: number,
    readonly reject: (error: unknown) => void,
  ) {
    super();
  }

  /** Its timeout: the work's statements see the deadline pass before the caller hears of it. */
  timeOut(): void {
    this.settled = true;
    this.expire();
    this.reject(
      new DatabaseError('ERR_TIMEOUT', `Session store ${this.operation} did not finish within operationTimeout (${this.timeout} ms)`, {
        transient: true,
      }),
    );
  }
}

export class Deadlines {
  /** Deadlines in start order from `#head` on; settled ones leave once they reach the head. */
  #queue: Array<Pending | undefined> = [];
  #head = 0;
  /** Operations not settled yet: while none is, the timer no longer keeps the process alive. */
  #live = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #fire = () => this.#expire();

  /**
   * Settles with the work or after `timeout` ms, whichever comes first; a late result is dropped.
   * `timeout` is the same on every call (the store's operationTimeout), so the queue stays in order.
   */
  bound<T>(operation: string, timeout: number, run: (deadline: Deadline) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Pending(performance.now() + timeout, operation, timeout, reject);
      this.#queue.push(deadline);
      if (this.#live++ === 0) {
        if (this.#timer === undefined) this.#timer = setTimeout(this.#fire, timeout);
        else this.#timer.ref();
      }
      run(deadline).then(
        (value) => {
          if (deadline.settled) return;
          this.#settle(deadline);
          resolve(value);
        },
        (error: unknown) => {
          if (deadline.settled) return;
          this.#settle(deadline);
          reject(error);
        },
      );
    });
  }

  #settle(deadline: Pending): void {
    deadline.settled = true;
    this.#advance();
    // The timer stays armed, for a head that is gone by then: it fires once, finds nothing, and stops.
    if (--this.#live === 0) this.#timer?.unref();
  }

  /** Lets the settled deadlines at the head go (operations mostly finish in the order they started). */
  #advance(): void {
    const queue = this.#queue;
    while (this.#head < queue.length && queue[this.#head]!.settled) queue[this.#head++] = undefined;
    if (this.#head === queue.length) {
      queue.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= queue.length) {
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    const queue = this.#queue;
    for (let i = this.#head; i < queue.length; i++) {
      const deadline = queue[i]!;
      if (deadline.settled) continue;
      // Timers count whole ms of a coarser clock: one may fire a fraction early.
      if (deadline.at > now) {
        this.#timer = setTimeout(this.#fire, Math.ceil(deadline.at - now));
        break;
      }
      this.#live--;
      deadline.timeOut();
    }
    this.#advance();
  }
}
