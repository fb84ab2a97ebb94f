// Which database servers answer, and the databases the tests use on them (created when missing).
'use strict';
const pg = require('pg');
const mariadb = require('mariadb');

const PG_URL = process.env.SSS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/sss_test';
const MARIADB_URL = process.env.SSS_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/sss_test';

const MAJORS = ['v6', 'v7'];

async function ensurePostgres() {
  const url = new URL(PG_URL);
  const database = url.pathname.slice(1);
  const admin = new pg.Client({
    host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password) || undefined, database: 'postgres', connectionTimeoutMillis: 3000,
  });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

async function ensureMariadb() {
  const url = new URL(MARIADB_URL);
  const database = url.pathname.slice(1);
  const conn = await mariadb.createConnection({
    host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password), connectTimeout: 3000,
  });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database.replaceAll('`', '``')}\``);
  } finally {
    await conn.end();
  }
}

const errorText = (error) => (error && (error.code || error.message)) || String(error);

/** Resolves to the reachable targets (`v6-sqlite`, `v7-postgres`, …) and the servers that are not. */
async function probeServers() {
  const servers = [
    { server: 'PostgreSQL', dialects: ['postgres'], check: ensurePostgres },
    { server: 'MariaDB', dialects: ['mariadb', 'mysql'], check: ensureMariadb },
  ];
  const dialects = ['sqlite'];
  const unreachable = [];
  for (const { server, dialects: served, check } of servers) {
    try {
      await check();
      dialects.push(...served);
    } catch (error) {
      unreachable.push({ server, reason: errorText(error) });
    }
  }
  const wanted = process.env.SSS_ONLY?.split(',').filter(Boolean);
  const targets = MAJORS.flatMap((major) => dialects.map((dialect) => `${major}-${dialect}`)).filter(
    (target) => !wanted || wanted.some((part) => target.includes(part)),
  );
  return { targets, unreachable };
}

module.exports = { PG_URL, MARIADB_URL, probeServers };
