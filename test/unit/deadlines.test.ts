// SPEC §2.1 operationTimeout on one shared timer: each operation still gets its own full timeout
// counted from its own start, a late result is dropped, the work sees its deadline pass before the
// caller hears of it, and nothing keeps the process alive once every operation has settled.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Deadlines } from '../../src/deadlines.js';
import type { Deadline } from '../../src/execution.js';
import { SessionStoreError } from '../../src/errors.js';

const TIMEOUT = 300;

/** Work that settles when told to, and records whether its deadline had passed by then. */
function controlled<T>() {
  let finish!: (value: T) => void;
  let seen: Deadline | undefined;
  const run = (deadline: Deadline) => {
    seen = deadline;
    return new Promise<T>((resolve) => (finish = resolve));
  };
  return { run, finish: (value: T) => finish(value), expired: () => seen?.expired };
}

const timers = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

describe('deadlines on one timer per store', () => {
  it('times each operation out from its own start, not from the oldest one', async () => {
    const deadlines = new Deadlines();
    const first = controlled<string>();
    const second = controlled<string>();
    const a = deadlines.bound('get', TIMEOUT, first.run);
    const aSettled = a.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await sleep(TIMEOUT / 2);
    const b = deadlines.bound('set', TIMEOUT, second.run);
    const error = await aSettled;
    assert.ok(error instanceof SessionStoreError);
    assert.equal(error.code, 'ERR_TIMEOUT');
    assert.equal(error.transient, true);
    assert.match(error.message, /Session store get did not finish within operationTimeout \(300 ms\)/);
    assert.equal(first.expired(), true);
    // The second one started half a timeout later: it has that long still.
    assert.equal(second.expired(), false);
    second.finish('written');
    assert.equal(await b, 'written');
  });

  it('drops a result that comes after the timeout', async () => {
    const deadlines = new Deadlines();
    const late = controlled<string>();
    const settled = deadlines.bound('touch', 50, late.run).then(
      (value) => value,
      (error: unknown) => (error as SessionStoreError).code,
    );
    assert.equal(await settled, 'ERR_TIMEOUT');
    late.finish('too late');
    assert.equal(await settled, 'ERR_TIMEOUT');
  });

  it('passes a failure of the work through, and its timer no longer holds the process once all settled', async () => {
    const before = timers();
    const deadlines = new Deadlines();
    const runs = Array.from({ length: 100 }, () => controlled<number>());
    const results = runs.map((work) => deadlines.bound('get', 60_000, work.run));
    assert.equal(timers(), before + 1);
    const failing = deadlines.bound('destroy', 60_000, () => Promise.reject(new Error('refused')));
    await assert.rejects(failing, /refused/);
    runs.forEach((work, i) => work.finish(i));
    assert.deepEqual(await Promise.all(results), runs.map((_, i) => i));
    assert.equal(timers(), before);
  });
});
