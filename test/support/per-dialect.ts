// One expectation per dialect, with a default: a test states what each database does in one place
// instead of branching on `target.dialect` around its assertions. Keys are a dialect, several
// dialects separated by a space ('mariadb mysql'), or `default` for every dialect not named.
import assert from 'node:assert/strict';
import type { Dialect } from './targets.js';

type Key = Dialect | 'mariadb mysql' | 'default';
export type PerDialect<T> = { readonly [K in Key]?: T };

/** This dialect's entry of `expectations`: its own key, then a key naming it among others, then `default`. */
export function forDialect<T>(target: { readonly dialect: Dialect }, expectations: PerDialect<T>): T {
  const entries = Object.entries(expectations) as Array<[Key, T]>;
  const own =
    entries.find(([key]) => key === target.dialect) ??
    entries.find(([key]) => key.split(' ').includes(target.dialect)) ??
    entries.find(([key]) => key === 'default');
  if (own === undefined) throw new Error(`no expectation for ${target.dialect} and no default`);
  return own[1];
}

/** Asserts `actual` against this dialect's expectation: a RegExp must match, anything else must be deep-equal. */
export function expectPerDialect(target: { readonly dialect: Dialect }, actual: unknown, expectations: PerDialect<unknown>, message?: string): void {
  const expected = forDialect(target, expectations);
  if (expected instanceof RegExp) assert.match(String(actual), expected, message);
  else assert.deepEqual(actual, expected, message);
}

/** A sid column that compares byte for byte on every dialect (MySQL's default collations fold case and trailing spaces). */
export function exactSidType<T>(target: { readonly dialect: Dialect }, types: { STRING(length: number): T }): T | string {
  return forDialect<() => T | string>(target, { 'mariadb mysql': () => 'VARBINARY(1020)', default: () => types.STRING(255) })();
}
