/** Sequelize v6 / v7 instances on the benchmark's databases, with an optional statement counter. */
import { DATABASE, MARIADB, PG, POOL_SIZE, sqliteFile, type Db } from '../lib/config.js';

export interface Counted {
  sequelize: any;
  statements(): number;
}

export function sequelizeV6(db: Db, file: string, countStatements = false): Counted {
   
  const { Sequelize } = require('sequelize') as typeof import('sequelize');
  let count = 0;
  const logging = countStatements ? () => void count++ : false;
  const pool = { max: POOL_SIZE, min: 0, idle: 60_000 };
  const sequelize =
    db === 'sqlite'
      ? new Sequelize({ dialect: 'sqlite', storage: sqliteFile(file), logging })
      : db === 'postgres'
        ? new Sequelize({ dialect: 'postgres', host: PG.host, port: PG.port, username: PG.user, database: DATABASE, logging, pool })
        : new Sequelize({
            dialect: 'mariadb', host: MARIADB.host, port: MARIADB.port, username: MARIADB.user, password: MARIADB.password,
            database: DATABASE, logging, pool,
          });
  return { sequelize, statements: () => (countStatements ? count : Number.NaN) };
}

export function sequelizeV7(db: Db, file: string, countStatements = false): Counted {
   
  const { Sequelize } = require('@sequelize/core') as typeof import('@sequelize/core');
  let count = 0;
  const logging = countStatements ? () => void count++ : false;
  const pool = { max: POOL_SIZE, min: 0, idle: 60_000 };
  let options: Record<string, unknown>;
  if (db === 'sqlite') {
    options = { dialect: require('@sequelize/sqlite3').SqliteDialect, storage: sqliteFile(file) };
  } else if (db === 'postgres') {
    options = { dialect: require('@sequelize/postgres').PostgresDialect, host: PG.host, port: PG.port, user: PG.user, database: DATABASE, pool };
  } else {
    options = {
      dialect: require('@sequelize/mariadb').MariaDbDialect, host: MARIADB.host, port: MARIADB.port, user: MARIADB.user,
      password: MARIADB.password, database: DATABASE, pool,
    };
  }
  const sequelize = new Sequelize({ ...options, logging } as never);
  return { sequelize, statements: () => (countStatements ? count : Number.NaN) };
}

/** WAL for every SQLite contender alike (a persistent property of the file). */
export async function sqliteWal(sequelize: any, db: Db): Promise<void> {
  if (db === 'sqlite') await sequelize.query('PRAGMA journal_mode=WAL');
}
