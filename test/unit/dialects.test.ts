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

  it("MySQL/MariaDB in an instance whose timezone is an offset: the wall clock there as text; a named zone and the other dialects as they are", () => {
    const ms = Date.UTC(2030, 0, 2, 3, 4, 5, 6);
    for (const [zone, wall] of [['+00:00', '2030-01-02 03:04:05.006'], ['+05:30', '2030-01-02 08:34:05.006'], ['-08:00', '2030-01-01 19:04:05.006']] as const) {
      for (const name of ['mysql', 'mariadb'] as const) {
        const zoned = dialectFor(name, zone)!;
        assert.ok(Object.isFrozen(zoned) && zoned !== dialect(name), `${name} ${zone}`);
        assert.equal(zoned.timeValue(ms), wall);
        assert.equal(zoned.time('$1'), 'CAST($1 AS DATETIME(6))');
        // Everything else is the dialect's own.
        assert.equal(zoned.count, dialect(name).count);
        assert.equal(zoned.live(text), dialect(name).live(text));
      }
    }
    // Seconds since the epoch (express-mysql-session's column) from that wall clock, whatever the connection's zone.
    assert.equal(
      dialectFor('mysql', '+05:30')!.epochSeconds!.write('$1'),
      `(ROUND(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', CAST($1 AS DATETIME(6))) / 1000000) - 19800)`,
    );
    assert.equal(dialectFor('mysql', '-08:00')!.epochSeconds!.read('c'), dialect('mysql').epochSeconds!.read('c'));
    assert.equal(dialectFor('mysql', 'Asia/Kolkata'), dialect('mysql'));
    assert.equal(dialectFor('mysql', '+5:30'), dialect('mysql'));
    for (const name of DIALECT_NAMES.filter((n) => n !== 'mysql' && n !== 'mariadb')) assert.equal(dialectFor(name, '+05:30'), dialect(name), name);
  });

  it('expire in other forms (adopted tables) where the database can convert', () => {
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).epochSeconds !== undefined), ['postgres', 'mysql', 'mariadb', 'sqlite']);
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).localTime !== undefined), ['postgres']);
    assert.deepEqual(DIALECT_NAMES.filter((name) => dialect(name).isoText !== undefined), ['sqlite']);
  });
});
