// The suite's clock: Date.now() is replaced, in the test process only, by a virtual time that
// stands still until a command moves it on. The store takes every "now" from Date.now() and binds
// it as a parameter (no statement reads the database's clock), so moving this clock moves the
// store's time exactly as it moves the model's. `new Date()` and timers keep the real time.
const realNow = Date.now.bind(Date);

let offset = 0;
let frozenAt: number | undefined;

/** Freezes Date.now() at the current real time (plus the offset so far). */
export function freezeClock(): void {
  frozenAt = realNow();
  Date.now = () => (frozenAt as number) + offset;
}

/** Gives Date.now() back its real value. */
export function releaseClock(): void {
  Date.now = realNow;
  frozenAt = undefined;
}

/** Moves the virtual time on by `ms`. */
export function advanceClock(ms: number): void {
  offset += ms;
}

export const now = (): number => Date.now();
