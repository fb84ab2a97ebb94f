/**
 * The background prune: an unref'd timer (it never keeps the process alive) re-armed after each
 * run finishes, so runs never overlap, with jitter so app instances started together spread out.
 */
export class Pruner {
  readonly #interval: number;
  readonly #prune: () => Promise<unknown>;
  readonly #onError: (error: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(interval: number, prune: () => Promise<unknown>, onError: (error: unknown) => void) {
    this.#interval = interval;
    this.#prune = prune;
    this.#onError = onError;
  }

  start(): void {
    if (this.#interval > 0 && !this.#stopped) this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    // ±10% jitter keeps instances that started together from pruning in lockstep.
    const delay = Math.round(this.#interval * (0.9 + Math.random() * 0.2));
    this.#timer = setTimeout(() => this.#run(), delay);
    this.#timer.unref();
  }

  #run(): void {
    this.#timer = undefined;
    this.#prune()
      .catch((error: unknown) => this.#onError(error))
      .finally(() => {
        if (!this.#stopped) this.#arm();
      });
  }
}
