// PostgreSQL 15 servers of our own, run as the postgres user from temporary data directories:
// a primary, streaming standbys made with pg_basebackup -R, promotion, and a pgbouncer in front.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, run, start, stop, tempDir, waitFor, type Tracked } from './procs.js';

export const PG_BIN = process.env.SSS_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface PgNode {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly log: string;
  process: Tracked;
}

const BASE_CONF = [
  "listen_addresses = '127.0.0.1'",
  "unix_socket_directories = ''",
  'max_connections = 100',
  'shared_buffers = 32MB',
  'fsync = off',
  'wal_level = replica',
  'max_wal_senders = 10',
  'hot_standby = on',
  'wal_keep_size = 256MB',
  // A standby reports what it applied at once, so the lag seen is the apply delay, not the reporting.
  'wal_receiver_status_interval = 1s',
  'log_min_messages = warning',
];

export async function query(port: number, sql: string, database = 'postgres'): Promise<any[]> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database, connectionTimeoutMillis: 3_000 });
  client.on('error', () => {});
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

function launch(name: string, dataDir: string, port: number, log: string): Tracked {
  return start(name, join(PG_BIN, 'postgres'), ['-D', dataDir, '-p', String(port)], { asPostgres: true, log });
}

async function ready(node: PgNode): Promise<void> {
  await waitFor(`${node.name} (port ${node.port}, log ${node.log})`, async () => {
    if (!node.process.alive()) throw new Error('exited');
    await query(node.port, 'SELECT 1');
    return true;
  }, 60_000);
}

/** initdb + start; trust authentication on loopback, replication allowed. */
export async function startPrimary(name: string, extraConf: string[] = []): Promise<PgNode> {
  const root = tempDir(name, 'postgres');
  const dataDir = join(root, 'data');
  const log = join(root, 'server.log');
  run(join(PG_BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-instructions'], { asPostgres: true });
  appendFileSync(dataDir + '/postgresql.conf', [...BASE_CONF, ...extraConf].join('\n') + '\n');
  writeFileSync(dataDir + '/pg_hba.conf', 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n');
  const port = await freePort();
  const node: PgNode = { name, port, dataDir, log, process: launch(name, dataDir, port, log) };
  await ready(node);
  return node;
}

/** A streaming standby of `primary` (pg_basebackup -R), with extra settings such as an apply delay. */
export async function startStandby(name: string, primary: PgNode, extraConf: string[] = []): Promise<PgNode> {
  const root = tempDir(name, 'postgres');
  const dataDir = join(root, 'data');
  const log = join(root, 'server.log');
  run(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast'], {
    asPostgres: true,
  });
  const appName = `application_name=${name}`;
  // -R wrote primary_conninfo; the application name lets the primary list it in synchronous_standby_names.
  appendFileSync(dataDir + '/postgresql.auto.conf', `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=postgres ${appName}'\n`);
  if (extraConf.length > 0) appendFileSync(dataDir + '/postgresql.conf', extraConf.join('\n') + '\n');
  const port = await freePort();
  const node: PgNode = { name, port, dataDir, log, process: launch(name, dataDir, port, log) };
  await ready(node);
  return node;
}

/** Promotes a standby and resolves once it accepts writes. */
export async function promote(node: PgNode): Promise<void> {
  await query(node.port, 'SELECT pg_promote(true, 30)');
  await waitFor(`${node.name} promoted`, async () => (await query(node.port, 'SELECT pg_is_in_recovery() AS r'))[0].r === false, 30_000);
}

export async function stopNode(node: PgNode): Promise<void> {
  // SIGINT is PostgreSQL's fast shutdown.
  if (node.process.alive()) {
    try {
      process.kill(node.process.pid, 'SIGINT');
    } catch {
      // gone
    }
  }
  await stop(node.process, 10_000);
}

export interface Bouncer {
  readonly port: number;
  readonly process: Tracked;
}

/** pgbouncer in transaction mode in front of `backendPort`, every database passed through. */
export async function startPgbouncer(backendPort: number): Promise<Bouncer> {
  const root = tempDir('pgbouncer', 'postgres');
  const port = await freePort();
  const ini = join(root, 'pgbouncer.ini');
  writeFileSync(join(root, 'userlist.txt'), '"postgres" ""\n');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=127.0.0.1 port=${backendPort}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(root, 'userlist.txt')}`,
      'pool_mode = transaction',
      'max_client_conn = 500',
      'default_pool_size = 40',
      // A database created a moment ago is tried again at once, not after 15 s.
      'server_login_retry = 1',
      `logfile = ${join(root, 'pgbouncer.log')}`,
      `pidfile = ${join(root, 'pgbouncer.pid')}`,
      'admin_users = postgres',
    ].join('\n') + '\n',
  );
  const process_ = start('pgbouncer', '/usr/sbin/pgbouncer', [ini], { asPostgres: true, log: join(root, 'stdout.log') });
  await waitFor('pgbouncer', async () => {
    await query(port, 'SELECT 1');
    return true;
  }, 30_000);
  return { port, process: process_ };
}
