/**
 * Compiled SQLite statements, kept per connection. sqlite3's `db.all` and `db.run` compile their
 * text, run it once and finalize it: for the store's few hot texts most of a statement's work is
 * that compiling. Here each text keeps compiled statements, as many as calls of it run at once (one
 * statement runs one call at a time), up to a cap; past it a call goes through `db.all` / `db.run`.
 *
 * SQLite refuses to close a connection that still has statements, and the application closes it
 * (`sequelize.close()`, an idle pool) without asking the store: so the connection's own `close`
 * finalizes the store's statements first, then closes.
 */

import type { Shape } from './execution.js';

type Done = (error: unknown, result?: unknown) => void;

interface SqliteStatement {
  all(params: unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  run(params: unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
  finalize(callback: () => void): void;
}

export interface SqliteDatabase {
  all(sql: string, params: unknown[], callback: (error: Error | null, rows: unknown[]) => void): void;
  run(sql: string, params: unknown[], callback: (this: { changes: number }, error: Error | null) => void): void;
  prepare(sql: string, callback: (error: Error | null) => void): SqliteStatement;
  close(...args: unknown[]): unknown;
}

interface Compiled {
  readonly statement: SqliteStatement;
  busy: boolean;
  compiled: boolean;
  /** Set when the cache let go of it before it had compiled: called once it is finalized. */
  retired: (() => void) | undefined;
}

interface Cache {
  texts: Map<string, Compiled[]>;
  closing: boolean;
}

/**
 * Compiled statements kept per text: more calls of one text at once go uncompiled. With sqlite3
 * alone, 16 gets in flight on one file: 25k/s uncompiled, 12k/s queued on one statement, 27k/s on
 * four, 90k/s on sixteen.
 */
const PER_TEXT = 32;
/** Texts kept per connection (each table has its own); past it the cache starts over. */
const MAX_TEXTS = 64;

const caches = new WeakMap<object, Cache>();

/** Runs `text` on `db`, on a kept statement where one is free. */
export function runCompiled(db: SqliteDatabase, text: string, values: unknown[], shape: Shape, done: Done): void {
  const cache = caches.get(db) ?? keep(db);
  if (cache.closing) return runOnce(db, text, values, shape, done);
  let list = cache.texts.get(text);
  if (list === undefined) {
    if (cache.texts.size >= MAX_TEXTS) finalizeAll(cache, () => {});
    cache.texts.set(text, (list = []));
  }
  for (const compiled of list) if (!compiled.busy) return call(compiled, values, shape, done);
  if (list.length >= PER_TEXT) return runOnce(db, text, values, shape, done);
  const own = list;
  // A statement that fails to compile drops the calls queued on it without a word: nothing is
  // queued until it has compiled, and a failure goes through runOnce, which reports it.
  const compiled: Compiled = {
    busy: true,
    compiled: false,
    retired: undefined,
    statement: db.prepare(text, (error) => {
      compiled.compiled = true;
      const retired = compiled.retired;
      if (!error && retired === undefined) return call(compiled, values, shape, done);
      if (!error) compiled.statement.finalize(retired!);
      else if (retired === undefined) own.splice(own.indexOf(compiled), 1);
      // sqlite3 has already finalized a statement that failed to compile.
      else retired();
      runOnce(db, text, values, shape, done);
    }),
  };
  own.push(compiled);
}

function call(compiled: Compiled, values: unknown[], shape: Shape, done: Done): void {
  compiled.busy = true;
  if (shape === 'rows') {
    compiled.statement.all(values, (error, rows) => {
      compiled.busy = false;
      if (error) done(error);
      else done(undefined, rows);
    });
  } else {
    compiled.statement.run(values, function (error) {
      compiled.busy = false;
      if (error) done(error);
      else done(undefined, this.changes);
    });
  }
}

function runOnce(db: SqliteDatabase, text: string, values: unknown[], shape: Shape, done: Done): void {
  if (shape === 'rows') {
    db.all(text, values, (error, rows) => {
      if (error) done(error);
      else done(undefined, rows);
    });
  } else {
    db.run(text, values, function (error) {
      if (error) done(error);
      else done(undefined, this.changes);
    });
  }
}

/** The connection's cache, and its `close` made to finalize the store's statements first. */
function keep(db: SqliteDatabase): Cache {
  const cache: Cache = { texts: new Map(), closing: false };
  caches.set(db, cache);
  const close = db.close;
  db.close = function (...args: unknown[]) {
    cache.closing = true;
    finalizeAll(cache, () => close.apply(db, args));
    return db;
  };
  return cache;
}

/** Finalizes every kept statement (a busy one after its call), then calls `then`. */
function finalizeAll(cache: Cache, then: () => void): void {
  const lists = [...cache.texts.values()];
  cache.texts = new Map();
  let pending = 1;
  const settled = () => {
    if (--pending === 0) then();
  };
  for (const list of lists) {
    for (const compiled of list) {
      pending++;
      if (compiled.compiled) compiled.statement.finalize(settled);
      else compiled.retired = settled;
    }
  }
  settled();
}
