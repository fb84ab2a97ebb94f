/**
 * Taking turns on a SQLite connection the application shares: the store's statements run in
 * parallel, as sqlite3 allows, in bursts, and between two bursts the application's own statements
 * get their turn.
 *
 * Sequelize v6 hands every caller one connection per file and queues its statements in serialized
 * mode. sqlite3 starts such a statement only once nothing else runs on the connection, and a
 * parallel statement starts at once whatever is queued: a stream of parallel statements would keep
 * the application's waiting forever, and serializing the store's own costs two thirds of its
 * throughput. So after a burst the store sends nothing more until its running statements have all
 * finished and the driver has started whatever was queued meanwhile.
 */

/** Statements the store starts on one connection before it lets the application's queued ones run. */
const BURST = 64;

interface Turns {
  running: number;
  /** Started since the last turn was given: at BURST, the next statements wait. */
  started: number;
  readonly waiting: Array<() => void>;
}

const turns = new WeakMap<object, Turns>();

/** Calls `start` now, or after the application's turn; `start` calls `finished` once its statement has completed. */
export function inTurn(connection: object, start: (finished: () => void) => void): void {
  let state = turns.get(connection);
  if (state === undefined) turns.set(connection, (state = { running: 0, started: 0, waiting: [] }));
  if (state.started >= BURST) state.waiting.push(() => run(state, start));
  else run(state, start);
}

function run(state: Turns, start: (finished: () => void) => void): void {
  state.running++;
  state.started++;
  start(() => {
    state.running--;
    // sqlite3 calls this before it counts the statement as done and starts what is queued: the
    // next burst waits for the next turn of the event loop, after the driver has done both.
    if (state.running === 0 && state.started >= BURST) setImmediate(resume, state);
  });
}

function resume(state: Turns): void {
  state.started = 0;
  for (const next of state.waiting.splice(0, BURST)) next();
}
