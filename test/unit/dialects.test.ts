// The dialects as differences from shared defaults: what each one declares, and that a capability
// is spelled one way (present or absent), without a server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dialectFor } from '../../src/dialects/index.js';
import type { TableShape } from '../../src/dialects/index.js';
import { DIALECT_NAMES, dialect } from './layout.js';

const text: TableShape = { table: '"t"', sid: '"sid"', sess: '"sess"', expire: '"expire"', sessKind: 'text', textMarker: '' };
const json: TableShape = { ...text, sessKind: 'json' };

describe('dialects', () => {
  it('every name Sequelize reports that has a single-statement upsert has a dialect; mariadb and ibmi share their siblings', () => {
    for (const name of DIALECT_NAMES) assert.ok(Object.isFrozen(dialect(name)), name);
    assert.equal(dialect('mariadb'), dialect('mysql'));
    assert.equal(dialect('ibmi'), dialect('db2'));
    assert.equal(dialectFor('unknown' as never), undefined);
  });

  it('batched prunes where a bounded delete exists, else one DELETE', () => {
    const batched = DIALECT_NAMES.filter((name) => dialect(name).pruneBatches !== undefined);
    assert.deepEqual(batched, ['postgres', 'mysql', 'mariadb', 'sqlite']);
    assert.deepEqual(batched.map((name) => dialect(name).pruneBatches!.firstSize), [20_000, 5_000, 5_000, 2_000]);
  });

  it("causal reads only on MySQL/MariaDB (a Galera node), the select wrapped into one statement", () => {
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).causalReads !== undefined), ['mysql', 'mariadb']);
    assert.equal(dialect('mysql').causalReads!.causal('SELECT 1'), 'SET STATEMENT wsrep_sync_wait=1 FOR SELECT 1');
  });

  it('shared defaults unless a dialect says otherwise', () => {
    for (const name of ['mssql', 'db2', 'snowflake', 'sqlite', 'postgres'] as const) {
      const d = dialect(name);
      assert.equal(d.count, 'COUNT(*)', name);
      assert.equal(d.textMarker, '', name);
      assert.equal(d.jsonMarker, 'null', name);
      assert.equal(d.time('$1'), '$1', name);
    }
    assert.equal(dialect('mysql').count, 'CAST(COUNT(*) AS CHAR)');
    assert.equal(dialect('oracle').textMarker, ' ');
  });

  it('the marker test: the default, and the dialects that need their own', () => {
    assert.equal(dialect('sqlite').live(text), `"sess" <> ''`);
    assert.equal(dialect('sqlite').live(json, 'cur'), `cur."sess" IS NOT NULL AND cur."sess" <> 'null'`);
    assert.equal(dialect('postgres').live(json, 'cur'), `cur."sess"::text <> 'null'`);
    assert.equal(dialect('mysql').live(json), `JSON_TYPE("sess") <> 'NULL'`);
    assert.equal(dialect('oracle').live(text, 'cur'), `LENGTH(cur."sess") > 1`);
  });

  it("bound times in each dialect's form", () => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 6);
    assert.equal(dialect('postgres').timeValue(ms), '2030-01-02T03:04:05.006Z');
    assert.equal(dialect('sqlite').timeValue(ms), '2030-01-02 03:04:05.006 +00:00');
    assert.equal(dialect('mysql').timeValue(ms), ms);
    for (const name of ['mssql', 'db2', 'oracle', 'snowflake'] as const) assert.deepEqual(dialect(name).timeValue(ms), new Date(ms));
  });

  it('expire in other forms (adopted tables) where the database can convert', () => {
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).epochSeconds !== undefined), ['postgres', 'mysql', 'mariadb', 'sqlite']);
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).localTime !== undefined), ['postgres']);
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).isoText !== undefined), ['sqlite']);
  });
});
