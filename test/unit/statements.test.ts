// The text of every statement on every dialect, pinned without a server (one expectation per
// dialect, as in kysely's testSql and sequelize's expectPerDialect): MSSQL, Db2, IBM i, Oracle and
// Snowflake run in no other test. Then the bound values: their order and each dialect's time form.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputError } from '../../src/errors.js';
import type { DialectName } from '../../src/sequelize-compat.js';
import { mergeSqlFor } from '../../src/merge-sql.js';
import { dialectFor } from '../../src/dialects/index.js';
import { buildStatements, MARKER_LIFE_MS, type Statements } from '../../src/statements.js';
import { DIALECT_NAMES, dialect, layout, quote } from './layout.js';

type Expected = Partial<Record<DialectName | 'default', string>>;

/** Each dialect's expectation: its own, else its sibling's (mariadb: mysql, ibmi: db2), else `default`. */
function expected(name: DialectName, per: Expected): string | undefined {
  const sibling = name === 'mariadb' ? 'mysql' : name === 'ibmi' ? 'db2' : undefined;
  return per[name] ?? (sibling && per[sibling]) ?? per.default;
}

function expectPerDialect(sql: (statements: Statements) => string | undefined, per: Expected, options?: { json?: boolean; timestamps?: boolean; absolute?: number }) {
  for (const name of DIALECT_NAMES) {
    const statements = buildStatements(dialect(name), layout(name, options), quote, options?.absolute);
    assert.equal(sql(statements), expected(name, per), `on ${name}`);
  }
}

/** MySQL/MariaDB's bound time: ms since the epoch, read in the session time zone, past 2038 too. */
const T = (n: number) =>
  `IF(CAST($${n} AS DECIMAL(20,0)) < 2147483647000, FROM_UNIXTIME(CAST($${n} AS DECIMAL(20,0)) / 1000), ` +
  `DATE_ADD(FROM_UNIXTIME(0), INTERVAL CAST($${n} AS DECIMAL(20,0)) * 1000 MICROSECOND))`;

const NOW = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const EXPIRE = NOW + 86_400_000;

describe('statement texts, text sess column', () => {
  it('get', () =>
    expectPerDialect((s) => s.get('k', NOW).sql, {
      default: `SELECT "sess" AS s, "expire" AS e FROM "sessions" WHERE "sid" = $1 AND "expire" > $2`,
      mysql: `SELECT "sess" AS s, "expire" AS e FROM "sessions" WHERE "sid" = $1 AND "expire" > ${T(2)}`,
    }));

  it('set', () =>
    expectPerDialect((s) => s.set('k', '{}', EXPIRE, NOW).sql, {
      default:
        `INSERT INTO "sessions" AS cur ("sid", "sess", "expire") VALUES ($1, $2, $3) ON CONFLICT ("sid") DO UPDATE SET ` +
        `"sess" = excluded."sess", "expire" = excluded."expire" WHERE cur."sess" <> '' OR cur."expire" <= $4`,
      mysql:
        `INSERT INTO "sessions" ("sid", "sess", "expire") VALUES ($1, $2, ${T(3)}) ON DUPLICATE KEY UPDATE ` +
        `"sess" = IF("sid" = VALUES("sid") AND ("sess" <> '' OR "expire" <= ${T(4)}), VALUES("sess"), "sess"), ` +
        `"expire" = IF("sid" = VALUES("sid") AND ("sess" <> '' OR "expire" <= ${T(4)}), VALUES("expire"), "expire")`,
      mssql:
        `MERGE INTO "sessions" WITH (HOLDLOCK) cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire") src ON (cur."sid" = src."sid") ` +
        `WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $4) THEN UPDATE SET cur."sess" = src."sess", cur."expire" = src."expire" ` +
        `WHEN NOT MATCHED THEN INSERT ("sid", "sess", "expire") VALUES (src."sid", src."sess", src."expire");`,
      db2:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire" FROM SYSIBM.SYSDUMMY1) src ON (cur."sid" = src."sid") ` +
        `WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $4) THEN UPDATE SET cur."sess" = src."sess", cur."expire" = src."expire" ` +
        `WHEN NOT MATCHED THEN INSERT ("sid", "sess", "expire") VALUES (src."sid", src."sess", src."expire")`,
      oracle:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire" FROM dual) src ON (cur."sid" = src."sid") ` +
        `WHEN MATCHED AND (LENGTH(cur."sess") > 1 OR cur."expire" <= $4) THEN UPDATE SET cur."sess" = src."sess", cur."expire" = src."expire" ` +
        `WHEN NOT MATCHED THEN INSERT ("sid", "sess", "expire") VALUES (src."sid", src."sess", src."expire")`,
      snowflake:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire") src ON (cur."sid" = src."sid") ` +
        `WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $4) THEN UPDATE SET cur."sess" = src."sess", cur."expire" = src."expire" ` +
        `WHEN NOT MATCHED THEN INSERT ("sid", "sess", "expire") VALUES (src."sid", src."sess", src."expire")`,
    }));

  it('set with extras (a date column among them)', () =>
    expectPerDialect((s) => s.set('k', '{}', EXPIRE, NOW, { userId: 7, seenAt: new Date(NOW) }).sql, {
      default:
        `INSERT INTO "sessions" AS cur ("sid", "sess", "expire", "user_id", "seen_at") VALUES ($1, $2, $3, $4, $5) ON CONFLICT ("sid") DO UPDATE SET ` +
        `"sess" = excluded."sess", "expire" = excluded."expire", "user_id" = excluded."user_id", "seen_at" = excluded."seen_at" ` +
        `WHERE cur."sess" <> '' OR cur."expire" <= $6`,
      mysql:
        `INSERT INTO "sessions" ("sid", "sess", "expire", "user_id", "seen_at") VALUES ($1, $2, ${T(3)}, $4, ${T(5)}) ON DUPLICATE KEY UPDATE ` +
        ['sess', 'expire', 'user_id', 'seen_at']
          .map((column) => `"${column}" = IF("sid" = VALUES("sid") AND ("sess" <> '' OR "expire" <= ${T(6)}), VALUES("${column}"), "${column}")`)
          .join(', '),
      mssql:
        `MERGE INTO "sessions" WITH (HOLDLOCK) cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "seen_at") src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $6) THEN UPDATE SET cur."sess" = src."sess", ` +
        `cur."expire" = src."expire", cur."user_id" = src."user_id", cur."seen_at" = src."seen_at" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "seen_at") VALUES (src."sid", src."sess", src."expire", src."user_id", src."seen_at");`,
      db2:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "seen_at" FROM SYSIBM.SYSDUMMY1) src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $6) THEN UPDATE SET cur."sess" = src."sess", ` +
        `cur."expire" = src."expire", cur."user_id" = src."user_id", cur."seen_at" = src."seen_at" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "seen_at") VALUES (src."sid", src."sess", src."expire", src."user_id", src."seen_at")`,
      oracle:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "seen_at" FROM dual) src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (LENGTH(cur."sess") > 1 OR cur."expire" <= $6) THEN UPDATE SET cur."sess" = src."sess", ` +
        `cur."expire" = src."expire", cur."user_id" = src."user_id", cur."seen_at" = src."seen_at" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "seen_at") VALUES (src."sid", src."sess", src."expire", src."user_id", src."seen_at")`,
      snowflake:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "seen_at") src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" <> '' OR cur."expire" <= $6) THEN UPDATE SET cur."sess" = src."sess", ` +
        `cur."expire" = src."expire", cur."user_id" = src."user_id", cur."seen_at" = src."seen_at" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "seen_at") VALUES (src."sid", src."sess", src."expire", src."user_id", src."seen_at")`,
    }));

  it('touch', () =>
    expectPerDialect((s) => s.touch('k', EXPIRE, NOW, 0).sql, {
      default: `UPDATE "sessions" SET "expire" = $1 WHERE "expire" > $2 AND "sid" = $3 AND "sess" <> ''`,
      mysql: `UPDATE "sessions" SET "expire" = ${T(1)} WHERE "expire" > ${T(2)} AND "sid" = $3 AND "sess" <> ''`,
      oracle: `UPDATE "sessions" SET "expire" = $1 WHERE "expire" > $2 AND "sid" = $3 AND LENGTH("sess") > 1`,
    }));

  it('touch with touchAfter', () =>
    expectPerDialect((s) => s.touch('k', EXPIRE, NOW, 60_000).sql, {
      default: `UPDATE "sessions" SET "expire" = $1 WHERE "expire" > $2 AND "sid" = $3 AND ("expire" <= $4 OR "expire" > $1) AND "sess" <> ''`,
      mysql: `UPDATE "sessions" SET "expire" = ${T(1)} WHERE "expire" > ${T(2)} AND "sid" = $3 AND ("expire" <= ${T(4)} OR "expire" > ${T(1)}) AND "sess" <> ''`,
      oracle: `UPDATE "sessions" SET "expire" = $1 WHERE "expire" > $2 AND "sid" = $3 AND ("expire" <= $4 OR "expire" > $1) AND LENGTH("sess") > 1`,
    }));

  it('destroy', () =>
    expectPerDialect((s) => s.destroy('k', NOW).sql, {
      default: `UPDATE "sessions" SET "sess" = '', "expire" = $1 WHERE "sid" = $2`,
      mysql: `UPDATE "sessions" SET "sess" = '', "expire" = ${T(1)} WHERE "sid" = $2`,
      // Oracle stores '' as NULL: its marker is one space.
      oracle: `UPDATE "sessions" SET "sess" = ' ', "expire" = $1 WHERE "sid" = $2`,
    }));

  it('all', () =>
    expectPerDialect((s) => s.all(NOW).sql, {
      default: `SELECT "sid" AS k, "sess" AS s, "expire" AS e FROM "sessions" WHERE "expire" > $1`,
      mysql: `SELECT "sid" AS k, "sess" AS s, "expire" AS e FROM "sessions" WHERE "expire" > ${T(1)}`,
    }));

  it('length', () =>
    expectPerDialect((s) => s.length(NOW).sql, {
      default: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" > $1 AND "sess" <> ''`,
      mysql: `SELECT CAST(COUNT(*) AS CHAR) AS n FROM "sessions" WHERE "expire" > ${T(1)} AND "sess" <> ''`,
      oracle: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" > $1 AND LENGTH("sess") > 1`,
    }));

  it('clear', () => expectPerDialect((s) => s.clear().sql, { default: `DELETE FROM "sessions"` }));

  it('prune, all at once', () =>
    expectPerDialect((s) => s.prune(NOW).sql, {
      default: `DELETE FROM "sessions" WHERE "expire" < $1`,
      mysql: `DELETE FROM "sessions" WHERE "expire" < ${T(1)}`,
    }));

  it('prune, one batch (where the dialect has a bounded delete)', () => {
    // The first batch's rows: undefined where one DELETE removes every expired row (MERGE dialects).
    expectPerDialect((s) => (s.pruneBatchSize === undefined ? undefined : String(s.pruneBatchSize)), { postgres: '20000', mysql: '5000', sqlite: '2000' });
    expectPerDialect((s) => (s.pruneBatchSize === undefined ? undefined : s.prune(NOW, 1000).sql), {
      postgres: `DELETE FROM "sessions" WHERE ctid = ANY(ARRAY(SELECT ctid FROM "sessions" WHERE "expire" < $1 LIMIT 1000 FOR UPDATE SKIP LOCKED))`,
      mysql: `DELETE FROM "sessions" WHERE "expire" < ${T(1)} ORDER BY "expire" LIMIT 1000`,
      sqlite: `DELETE FROM "sessions" WHERE rowid IN (SELECT rowid FROM "sessions" WHERE "expire" < $1 LIMIT 1000)`,
    });
  });

  it('expired rows (the command line)', () =>
    expectPerDialect((s) => s.expired(NOW).sql, {
      default: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" < $1`,
      mysql: `SELECT CAST(COUNT(*) AS CHAR) AS n FROM "sessions" WHERE "expire" < ${T(1)}`,
    }));

  it('destroyWhere, a list, a NULL and an exception', () =>
    expectPerDialect((s) => s.destroyWhere({ userId: [1, 2], seenAt: null }, { except: 'mine' }, NOW, (sid) => sid)?.sql, {
      default: `UPDATE "sessions" SET "sess" = '', "expire" = $1 WHERE "expire" > $2 AND "sess" <> '' AND "user_id" IN ($3, $4) AND "seen_at" IS NULL AND "sid" <> $5`,
      mysql:
        `UPDATE "sessions" SET "sess" = '', "expire" = ${T(1)} WHERE "expire" > ${T(2)} AND "sess" <> '' ` +
        `AND "user_id" IN ($3, $4) AND "seen_at" IS NULL AND "sid" <> $5`,
      oracle: `UPDATE "sessions" SET "sess" = ' ', "expire" = $1 WHERE "expire" > $2 AND LENGTH("sess") > 1 AND "user_id" IN ($3, $4) AND "seen_at" IS NULL AND "sid" <> $5`,
    }));
});

describe('statement texts, JSON sess column with timestamps and expiration.absolute', () => {
  const options = { json: true, timestamps: true, absolute: 3_600_000 };
  const jsonLive = `"sess" IS NOT NULL AND "sess" <> 'null'`;

  it('get', () =>
    expectPerDialect((s) => s.get('k', NOW).sql, {
      default: `SELECT "sess" AS s, "expire" AS e FROM "sessions" WHERE "sid" = $1 AND "expire" > $2 AND "createdAt" > $3`,
      mysql: `SELECT "sess" AS s, "expire" AS e FROM "sessions" WHERE "sid" = $1 AND "expire" > ${T(2)} AND "createdAt" > ${T(3)}`,
    }, options));

  it('set with extras', () =>
    expectPerDialect((s) => s.set('k', '{}', EXPIRE, NOW, { userId: 7 }).sql, {
      default:
        `INSERT INTO "sessions" AS cur ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5) ` +
        `ON CONFLICT ("sid") DO UPDATE SET "sess" = excluded."sess", "expire" = excluded."expire", "user_id" = excluded."user_id", ` +
        `"updatedAt" = excluded."updatedAt" WHERE cur."sess" IS NOT NULL AND cur."sess" <> 'null' OR cur."expire" <= $5`,
      // A cast to text: json has no equality operator.
      postgres:
        `INSERT INTO "sessions" AS cur ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5) ` +
        `ON CONFLICT ("sid") DO UPDATE SET "sess" = excluded."sess", "expire" = excluded."expire", "user_id" = excluded."user_id", ` +
        `"updatedAt" = excluded."updatedAt" WHERE cur."sess"::text <> 'null' OR cur."expire" <= $5`,
      mysql:
        `INSERT INTO "sessions" ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES ($1, $2, ${T(3)}, $4, ${T(5)}, ${T(5)}) ON DUPLICATE KEY UPDATE ` +
        ['sess', 'expire', 'user_id', 'updatedAt']
          .map((column) => `"${column}" = IF("sid" = VALUES("sid") AND (JSON_TYPE("sess") <> 'NULL' OR "expire" <= ${T(5)}), VALUES("${column}"), "${column}")`)
          .join(', '),
      mssql:
        `MERGE INTO "sessions" WITH (HOLDLOCK) cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "createdAt", $5 AS "updatedAt") src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" IS NOT NULL AND cur."sess" <> 'null' OR cur."expire" <= $5) THEN UPDATE SET ` +
        `cur."sess" = src."sess", cur."expire" = src."expire", cur."user_id" = src."user_id", cur."updatedAt" = src."updatedAt" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES (src."sid", src."sess", src."expire", src."user_id", src."createdAt", src."updatedAt");`,
      db2:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "createdAt", $5 AS "updatedAt" FROM SYSIBM.SYSDUMMY1) src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" IS NOT NULL AND cur."sess" <> 'null' OR cur."expire" <= $5) THEN UPDATE SET ` +
        `cur."sess" = src."sess", cur."expire" = src."expire", cur."user_id" = src."user_id", cur."updatedAt" = src."updatedAt" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES (src."sid", src."sess", src."expire", src."user_id", src."createdAt", src."updatedAt")`,
      oracle:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "createdAt", $5 AS "updatedAt" FROM dual) src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (LENGTH(cur."sess") > 1 OR cur."expire" <= $5) THEN UPDATE SET ` +
        `cur."sess" = src."sess", cur."expire" = src."expire", cur."user_id" = src."user_id", cur."updatedAt" = src."updatedAt" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES (src."sid", src."sess", src."expire", src."user_id", src."createdAt", src."updatedAt")`,
      snowflake:
        `MERGE INTO "sessions" cur USING (SELECT $1 AS "sid", $2 AS "sess", $3 AS "expire", $4 AS "user_id", $5 AS "createdAt", $5 AS "updatedAt") src ` +
        `ON (cur."sid" = src."sid") WHEN MATCHED AND (cur."sess" IS NOT NULL AND cur."sess" <> 'null' OR cur."expire" <= $5) THEN UPDATE SET ` +
        `cur."sess" = src."sess", cur."expire" = src."expire", cur."user_id" = src."user_id", cur."updatedAt" = src."updatedAt" WHEN NOT MATCHED THEN ` +
        `INSERT ("sid", "sess", "expire", "user_id", "createdAt", "updatedAt") VALUES (src."sid", src."sess", src."expire", src."user_id", src."createdAt", src."updatedAt")`,
    }, options));

  it('touch with touchAfter', () =>
    expectPerDialect((s) => s.touch('k', EXPIRE, NOW, 60_000).sql, {
      default: `UPDATE "sessions" SET "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND "sid" = $3 AND ("expire" <= $4 OR "expire" > $1) AND "createdAt" > $5 AND ${jsonLive}`,
      postgres: `UPDATE "sessions" SET "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND "sid" = $3 AND ("expire" <= $4 OR "expire" > $1) AND "createdAt" > $5 AND "sess"::text <> 'null'`,
      mysql:
        `UPDATE "sessions" SET "expire" = ${T(1)}, "updatedAt" = ${T(2)} WHERE "expire" > ${T(2)} AND "sid" = $3 ` +
        `AND ("expire" <= ${T(4)} OR "expire" > ${T(1)}) AND "createdAt" > ${T(5)} AND JSON_TYPE("sess") <> 'NULL'`,
      oracle: `UPDATE "sessions" SET "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND "sid" = $3 AND ("expire" <= $4 OR "expire" > $1) AND "createdAt" > $5 AND LENGTH("sess") > 1`,
    }, options));

  it('destroy', () =>
    expectPerDialect((s) => s.destroy('k', NOW).sql, {
      default: `UPDATE "sessions" SET "sess" = 'null', "expire" = $1, "updatedAt" = $2 WHERE "sid" = $3`,
      mysql: `UPDATE "sessions" SET "sess" = 'null', "expire" = ${T(1)}, "updatedAt" = ${T(2)} WHERE "sid" = $3`,
    }, options));

  it('length', () =>
    expectPerDialect((s) => s.length(NOW).sql, {
      default: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" > $1 AND "createdAt" > $2 AND ${jsonLive}`,
      postgres: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" > $1 AND "createdAt" > $2 AND "sess"::text <> 'null'`,
      mysql: `SELECT CAST(COUNT(*) AS CHAR) AS n FROM "sessions" WHERE "expire" > ${T(1)} AND "createdAt" > ${T(2)} AND JSON_TYPE("sess") <> 'NULL'`,
      oracle: `SELECT COUNT(*) AS n FROM "sessions" WHERE "expire" > $1 AND "createdAt" > $2 AND LENGTH("sess") > 1`,
    }, options));

  it('destroyWhere', () =>
    expectPerDialect((s) => s.destroyWhere({ userId: 7 }, {}, NOW, (sid) => sid)?.sql, {
      default: `UPDATE "sessions" SET "sess" = 'null', "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND ${jsonLive} AND "createdAt" > $3 AND "user_id" = $4`,
      postgres: `UPDATE "sessions" SET "sess" = 'null', "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND "sess"::text <> 'null' AND "createdAt" > $3 AND "user_id" = $4`,
      mysql:
        `UPDATE "sessions" SET "sess" = 'null', "expire" = ${T(1)}, "updatedAt" = ${T(2)} WHERE "expire" > ${T(2)} ` +
        `AND JSON_TYPE("sess") <> 'NULL' AND "createdAt" > ${T(3)} AND "user_id" = $4`,
      oracle: `UPDATE "sessions" SET "sess" = 'null', "expire" = $1, "updatedAt" = $2 WHERE "expire" > $2 AND LENGTH("sess") > 1 AND "createdAt" > $3 AND "user_id" = $4`,
    }, options));
});

describe('bound values', () => {
  /** Each dialect's form of a bound time. */
  const TIME: Partial<Record<DialectName, (ms: number) => unknown>> = {
    postgres: (ms) => new Date(ms).toISOString(),
    sqlite: (ms) => new Date(ms).toISOString().replace('T', ' ').replace('Z', ' +00:00'),
    mysql: (ms) => ms,
    mariadb: (ms) => ms,
    mssql: (ms) => new Date(ms),
    db2: (ms) => new Date(ms),
    ibmi: (ms) => new Date(ms),
    oracle: (ms) => new Date(ms),
    snowflake: (ms) => new Date(ms),
  };

  for (const name of DIALECT_NAMES) {
    const t = TIME[name]!;
    const plain = buildStatements(dialect(name), layout(name), quote, undefined);
    const full = buildStatements(dialect(name), layout(name, { json: true, timestamps: true }), quote, 3_600_000);

    it(`${name}: every operation's values in placeholder order`, () => {
      assert.deepEqual(plain.get('k', NOW).bind, ['k', t(NOW)]);
      assert.deepEqual(full.get('k', NOW).bind, ['k', t(NOW), t(NOW - 3_600_000)]);
      assert.deepEqual(plain.set('k', '{"a":1}', EXPIRE, NOW).bind, ['k', '{"a":1}', t(EXPIRE), t(NOW)]);
      assert.deepEqual(plain.set('k', 's', EXPIRE, NOW, { seenAt: new Date(NOW - 5), userId: undefined }).bind, ['k', 's', t(EXPIRE), t(NOW - 5), null, t(NOW)]);
      assert.deepEqual(plain.set('k', 's', EXPIRE, NOW, { userId: { a: 1 } }).bind, ['k', 's', t(EXPIRE), '{"a":1}', t(NOW)]);
      assert.deepEqual(plain.touch('k', EXPIRE, NOW, 0).bind, [t(EXPIRE), t(NOW), 'k']);
      assert.deepEqual(plain.touch('k', EXPIRE, NOW, 60_000).bind, [t(EXPIRE), t(NOW), 'k', t(EXPIRE - 60_000)]);
      assert.deepEqual(full.touch('k', EXPIRE, NOW, 0).bind, [t(EXPIRE), t(NOW), 'k', t(NOW - 3_600_000)]);
      assert.deepEqual(plain.destroy('k', NOW).bind, [t(NOW + MARKER_LIFE_MS), 'k']);
      assert.deepEqual(full.destroy('k', NOW).bind, [t(NOW + MARKER_LIFE_MS), t(NOW), 'k']);
      assert.deepEqual(plain.all(NOW).bind, [t(NOW)]);
      assert.deepEqual(full.length(NOW).bind, [t(NOW), t(NOW - 3_600_000)]);
      assert.deepEqual(plain.clear().bind, []);
      assert.deepEqual(plain.prune(NOW).bind, [t(NOW)]);
      assert.deepEqual(plain.destroyWhere({ userId: [1, 2] }, { except: 'mine' }, NOW, (sid) => `#${sid}`)?.bind, [t(NOW + MARKER_LIFE_MS), t(NOW), 1, 2, '#mine']);
      assert.deepEqual(full.destroyWhere({ seenAt: NOW - 9 }, {}, NOW, (sid) => sid)?.bind, [t(NOW + MARKER_LIFE_MS), t(NOW), t(NOW - 3_600_000), t(NOW - 9)]);
    });
  }

  it("mysql/mariadb at a fixed offset (Sequelize's default '+00:00' among them): times as the wall clock there, cast where they meet a column", () => {
    for (const name of ['mysql', 'mariadb'] as const) {
      const zoned = dialectFor(name, '+05:30')!;
      const statements = buildStatements(zoned, layout(name), quote, undefined);
      const wall = (ms: number) => new Date(ms + 330 * 60_000).toISOString().slice(0, 23).replace('T', ' ');
      const c = (n: number) => `CAST($${n} AS DATETIME(6))`;
      assert.equal(statements.get('k', NOW).sql, `SELECT "sess" AS s, "expire" AS e FROM "sessions" WHERE "sid" = $1 AND "expire" > ${c(2)}`);
      assert.deepEqual(statements.get('k', NOW).bind, ['k', '2030-01-02 08:34:05.678']);
      assert.equal(
        statements.set('k', 's', EXPIRE, NOW).sql,
        `INSERT INTO "sessions" ("sid", "sess", "expire") VALUES ($1, $2, ${c(3)}) ON DUPLICATE KEY UPDATE ` +
          `"sess" = IF("sid" = VALUES("sid") AND ("sess" <> '' OR "expire" <= ${c(4)}), VALUES("sess"), "sess"), ` +
          `"expire" = IF("sid" = VALUES("sid") AND ("sess" <> '' OR "expire" <= ${c(4)}), VALUES("expire"), "expire")`,
      );
      assert.deepEqual(statements.set('k', 's', EXPIRE, NOW).bind, ['k', 's', wall(EXPIRE), wall(NOW)]);
      assert.equal(statements.touch('k', EXPIRE, NOW, 0).sql, `UPDATE "sessions" SET "expire" = ${c(1)} WHERE "expire" > ${c(2)} AND "sid" = $3 AND "sess" <> ''`);
      assert.deepEqual(statements.destroy('k', NOW).bind, [wall(NOW + MARKER_LIFE_MS), 'k']);
    }
  });

  it('the upsert text is built once per list of extra columns', () => {
    const statements = buildStatements(dialect('postgres'), layout('postgres'), quote, undefined);
    assert.equal(statements.set('a', 's', EXPIRE, NOW, { userId: 1 }).sql, statements.set('b', 't', EXPIRE, NOW, { userId: 2 }).sql);
    assert.notEqual(statements.set('a', 's', EXPIRE, NOW, { userId: 1 }).sql, statements.set('a', 's', EXPIRE, NOW, { seenAt: null }).sql);
    assert.equal(statements.set('a', 's', EXPIRE, NOW, {}).sql, statements.set('a', 's', EXPIRE, NOW).sql);
  });

  it('a get waits for other nodes once told to, still one statement', () => {
    const statements = buildStatements(dialect('mariadb'), layout('mariadb'), quote, undefined);
    const plain = statements.get('k', NOW).sql;
    statements.waitForOtherNodes((select) => `SET STATEMENT wsrep_sync_wait=1 FOR ${select}`);
    assert.equal(statements.get('k', NOW).sql, `SET STATEMENT wsrep_sync_wait=1 FOR ${plain}`);
  });
});

describe('refused input', () => {
  const statements = buildStatements(dialect('sqlite'), layout('sqlite'), quote, undefined);
  const refused = (run: () => unknown, code: string) => assert.throws(run, (error: unknown) => error instanceof InvalidInputError && error.code === code);

  it('set: an extra that is no attribute, or one of sid/sess/expire', () => {
    refused(() => statements.set('k', 's', EXPIRE, NOW, { nope: 1 }), 'ERR_EXTRAS_FAILED');
    refused(() => statements.set('k', 's', EXPIRE, NOW, { sess: 'x' }), 'ERR_EXTRAS_FAILED');
  });

  it('set and destroyWhere: a date column given no valid date', () => {
    refused(() => statements.set('k', 's', EXPIRE, NOW, { seenAt: 'yesterday-ish' }), 'ERR_INVALID_ARGUMENT');
    refused(() => statements.destroyWhere({ seenAt: 'not a date' }, {}, NOW, (sid) => sid), 'ERR_INVALID_ARGUMENT');
  });

  it('destroyWhere: no condition, an unknown column, bad options or a non-string exception', () => {
    for (const where of [{}, null, [], 'userId']) refused(() => statements.destroyWhere(where, {}, NOW, (sid) => sid), 'ERR_INVALID_ARGUMENT');
    refused(() => statements.destroyWhere({ sid: 'x' }, {}, NOW, (sid) => sid), 'ERR_INVALID_ARGUMENT');
    refused(() => statements.destroyWhere({ userId: 1 }, null, NOW, (sid) => sid), 'ERR_INVALID_ARGUMENT');
    refused(() => statements.destroyWhere({ userId: 1 }, { except: 5 }, NOW, (sid) => sid), 'ERR_INVALID_ARGUMENT');
  });

  it('destroyWhere: an empty list matches no row, and no statement is built', () => {
    assert.equal(statements.destroyWhere({ userId: [] }, {}, NOW, (sid) => sid), undefined);
  });
});

describe('merge: true, a set with the diff of its read (JSON sess column)', () => {
  // cart changed (a real null inside), flash removed, the cookie always written whole.
  const diff = { changed: [['cookie', '{"expires":null}'], ['cart', '[1,null]']] as const, removed: ['flash'], next: { sid: 'k', base: undefined, source: '{}', text: undefined }, read: undefined, text: '{"cookie":{"expires":null},"cart":[1,null]}' };
  const PATCH = '{"cookie":{"expires":null},"cart":[1,null]}';
  const build = (name: DialectName) => {
    const model = layout(name, { json: true });
    const merging = mergeSqlFor(name, dialect(name), model, { encrypted: false, jsonText: true, sessType: 'JSON' });
    return buildStatements(dialect(name), model, quote, undefined, merging);
  };
  const merged: Partial<Record<DialectName, { fragment: string; tail: unknown[] }>> = {
    postgres: { fragment: `THEN ((cur."sess"::jsonb - $6::text::text[]) || $5::text::jsonb)::json ELSE excluded."sess" END`, tail: [PATCH, '{"flash"}'] },
    mysql: {
      fragment: `THEN COALESCE(JSON_SET(JSON_REMOVE("sess", $5), $6, JSON_EXTRACT($7, '$'), $8, JSON_EXTRACT($9, '$')), VALUES("sess")) ELSE VALUES("sess") END`,
      tail: ['$."flash"', '$."cart"', '[1,null]', '$."cookie"', '{"expires":null}'],
    },
  };
  for (const name of DIALECT_NAMES) {
    const expectation = merged[name] ?? (name === 'mariadb' ? merged.mysql : undefined);
    if (name === 'sqlite') continue;
    it(`${name}: ${expectation ? 'one statement that patches the row as it is now' : 'writes whole (no JSON merge here)'}`, () => {
      const statements = build(name);
      const whole = statements.set('k', '{}', EXPIRE, NOW);
      const set = statements.set('k', '{}', EXPIRE, NOW, undefined, diff);
      assert.equal(statements.merges, expectation === undefined ? undefined : 'keys');
      if (expectation === undefined) return assert.deepEqual(set, whole);
      assert.ok(set.sql.includes(expectation.fragment), set.sql);
      assert.deepEqual(set.bind, [...whole.bind, ...expectation.tail]);
    });
  }

  it('nothing removed: no JSON_REMOVE, the changed keys set on the row as it is', () => {
    const kept = { ...diff, removed: [] };
    for (const [name, absent, present] of [['mysql', 'JSON_REMOVE', 'JSON_SET("sess", $5, JSON_EXTRACT($6, \'$\'), $7, JSON_EXTRACT($8, \'$\'))']] as const) {
      const statements = build(name);
      const whole = statements.set('k', '{}', EXPIRE, NOW);
      const set = statements.set('k', '{}', EXPIRE, NOW, undefined, kept);
      assert.ok(!set.sql.includes(absent) && set.sql.includes(present), set.sql);
      assert.deepEqual(set.bind, [...whole.bind, '$."cart"', '[1,null]', '$."cookie"', '{"expires":null}']);
    }
  });

  it("the row's text as read, bound first of the merge's values: a row still holding it takes the whole session, no JSON work", () => {
    const asRead = { ...diff, read: '{"as":"read"}' };
    for (const [name, compare] of [['mysql', 'CAST("sess" AS BINARY) <> CAST($5 AS BINARY) AND ']] as const) {
      const statements = build(name);
      const whole = statements.set('k', '{}', EXPIRE, NOW);
      const set = statements.set('k', '{}', EXPIRE, NOW, undefined, asRead);
      const plain = statements.set('k', '{}', EXPIRE, NOW, undefined, diff);
      assert.ok(set.sql.includes(compare), set.sql);
      assert.ok(!plain.sql.includes(compare), plain.sql);
      assert.deepEqual(set.bind, [...whole.bind, '{"as":"read"}', ...plain.bind.slice(whole.bind.length)]);
      // Each placeholder first appears after every lower one (v7's SQLite binds by position).
      const order = [...set.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])).filter((n, i, all) => all.indexOf(n) === i);
      assert.deepEqual(order, [...order].sort((a, b) => a - b), set.sql);
    }
  });

  it("sqlite: the read's text alone, bound after the upsert's values; a row still holding it takes the whole session, one text for every diff", () => {
    const statements = build('sqlite');
    assert.equal(statements.merges, 'read');
    const whole = statements.set('k', '{}', EXPIRE, NOW);
    const set = statements.set('k', '{}', EXPIRE, NOW, undefined, { ...diff, read: '{"as":"read"}' });
    assert.ok(set.sql.includes(`AND cur."sess" <> $5 COLLATE BINARY AND json_valid(cur."sess") AND substr(cur."sess", 1, 1) = '{' AND json_valid($5) AND`), set.sql);
    assert.ok(set.sql.includes(`ELSE excluded."sess" END`), set.sql);
    assert.deepEqual(set.bind, [...whole.bind, '{"as":"read"}']);
    // The diff's keys play no part: another diff of another read takes the same text.
    const other = statements.set('k', '{}', EXPIRE, NOW, undefined, { ...diff, changed: [['a', '1']] as const, removed: [], read: '{"a":0}' });
    assert.equal(other.sql, set.sql);
    assert.deepEqual(other.bind, [...whole.bind, '{"a":0}']);
    // Each placeholder first appears after every lower one (v7's SQLite binds by position).
    const order = [...set.sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])).filter((n, i, all) => all.indexOf(n) === i);
    assert.deepEqual(order, [...order].sort((a, b) => a - b), set.sql);
    // No read text: whole.
    assert.deepEqual(statements.set('k', '{}', EXPIRE, NOW, undefined, diff), whole);
  });

  it("postgres: a text row still holding what was read takes the whole session; json and jsonb rows (read parsed, no text) always merge", () => {
    const asRead = { ...diff, read: '{"as":"read"}' };
    const text = layout('postgres');
    const statements = buildStatements(dialect('postgres'), text, quote, undefined, mergeSqlFor('postgres', dialect('postgres'), text, { encrypted: false, jsonText: true, sessType: 'TEXT' }));
    assert.equal(statements.merges, 'keys');
    const whole = statements.set('k', '{}', EXPIRE, NOW);
    const set = statements.set('k', '{}', EXPIRE, NOW, undefined, asRead);
    assert.ok(set.sql.includes(`AND cur."sess" <> $5 COLLATE "C" AND left(cur."sess", 1) = '{' THEN ((cur."sess"::jsonb - $7::text::text[]) || $6::text::jsonb)::text ELSE excluded."sess" END`), set.sql);
    assert.deepEqual(set.bind, [...whole.bind, '{"as":"read"}', PATCH, '{"flash"}']);
    const unread = statements.set('k', '{}', EXPIRE, NOW, undefined, diff);
    assert.ok(!unread.sql.includes('COLLATE') && unread.sql.includes('|| $5::text::jsonb'), unread.sql);
    const json = build('postgres').set('k', '{}', EXPIRE, NOW, undefined, asRead);
    assert.ok(!json.sql.includes('COLLATE'), json.sql);
    assert.deepEqual(json.bind, [...whole.bind, PATCH, '{"flash"}']);
  });

  it('encryption or a custom serializer on a text column: no merging form', () => {
    for (const name of ['postgres', 'sqlite', 'mysql'] as const) {
      assert.equal(mergeSqlFor(name, dialect(name), layout(name, { json: true }), { encrypted: true, jsonText: true, sessType: 'JSON' }), undefined);
      assert.equal(mergeSqlFor(name, dialect(name), layout(name), { encrypted: false, jsonText: false, sessType: 'TEXT' }), undefined);
    }
  });
});
