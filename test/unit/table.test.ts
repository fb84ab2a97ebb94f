// Which creation failures mean "another instance was creating the same table at that moment": the
// creator looks again instead of failing the first operation (the fleet tests on an empty database
// and the Galera cluster group show these errors from real servers).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createdMeanwhile } from '../../src/table.js';

const v6 = (parent: object) => Object.assign(new Error('Validation error'), { parent });
const v7 = (cause: object) => Object.assign(new Error('Validation error'), { cause });

describe('createdMeanwhile', () => {
  const concurrent: [string, object][] = [
    ['PostgreSQL duplicate relation', { code: '42P07' }],
    ['PostgreSQL catalog unique violation', { code: '23505' }],
    ['MySQL/MariaDB table exists', { code: 'ER_TABLE_EXISTS_ERROR', errno: 1050 }],
    ['MySQL/MariaDB duplicate key name', { code: 'ER_DUP_KEYNAME', errno: 1061 }],
    ['Galera: interrupted by a replicated DDL', { code: 'ER_QUERY_INTERRUPTED', errno: 1317 }],
    ['Galera: a metadata lock aborted as a deadlock', { code: 'ER_LOCK_DEADLOCK', errno: 1213 }],
    ['mariadb connector: the same deadlock by number only', { errno: 1213 }],
    ['mysql2: a reply garbled by the interruption', { code: 'ERR_OUT_OF_RANGE' }],
    ['mysql2: a garbled column header, its character set unknown', { message: "Encoding not recognized: 'undefined' (searched as: 'undefined')" }],
    ['SQLite already exists', { code: 'SQLITE_ERROR', message: 'index sessions_expire already exists' }],
  ];
  for (const [name, driver] of concurrent) {
    it(`looks again after ${name}, in v6's parent and v7's cause`, () => {
      assert.equal(createdMeanwhile(v6(driver)), true);
      assert.equal(createdMeanwhile(v7(driver)), true);
    });
  }

  it('fails at once on anything else: no permission, a syntax error, a lost connection, nothing', () => {
    for (const driver of [{ code: '42501' }, { code: 'ER_PARSE_ERROR', errno: 1064 }, { code: 'ECONNRESET' }, { code: 'ER_TABLEACCESS_DENIED_ERROR', errno: 1142 }]) {
      assert.equal(createdMeanwhile(v6(driver)), false, JSON.stringify(driver));
      assert.equal(createdMeanwhile(v7(driver)), false, JSON.stringify(driver));
    }
    assert.equal(createdMeanwhile(undefined), false);
    assert.equal(createdMeanwhile(new Error('no such table')), false);
    // A character set named in the options that iconv does not know is a real error.
    assert.equal(createdMeanwhile(v6({ message: "Encoding not recognized: 'latin9x' (searched as: 'latin9x')" })), false);
  });
});
