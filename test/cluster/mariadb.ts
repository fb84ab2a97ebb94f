// MariaDB 10.11 servers of our own (never the shared one on 3306): --no-defaults, temporary data
// directories, ports of their own. A primary and a delayed GTID replica, a latin1-default server, and
// a three-node Galera cluster.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mariadb from 'mariadb';
import { freePort, run, start, stop, tempDir, waitFor, type Tracked } from './procs.js';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';

export interface MariaNode {
  readonly name: string;
  readonly port: number;
  readonly dataDir: string;
  readonly socket: string;
  readonly log: string;
  readonly args: string[];
  process: Tracked;
}

export async function query(port: number, sql: string, timeoutMs = 5_000): Promise<any[]> {
  const conn = await mariadb.createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: timeoutMs, queryTimeout: timeoutMs });
  try {
    return (await conn.query(sql)) as any[];
  } finally {
    await conn.end().catch(() => {});
  }
}

/** Runs SQL as root over the node's own socket (root may connect there without a password). */
function socketSql(node: MariaNode, sql: string): void {
  run('mariadb', ['--no-defaults', '-S', node.socket, '-u', 'root', '-e', sql]);
}

function install(dataDir: string): void {
  run('mariadb-install-db', ['--no-defaults', `--datadir=${dataDir}`, '--user=mysql', '--auth-root-authentication-method=normal', '--skip-test-db']);
}

function launch(node: Omit<MariaNode, 'process'>): Tracked {
  return start(node.name, '/usr/sbin/mariadbd', node.args, { log: node.log });
}

/** The end of a server's log, for a failure message. */
function logTail(node: MariaNode, lines = 25): string {
  try {
    return readFileSync(node.log, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Until the server answers on its socket; fails at once, with its log, if it exits. */
async function ready(node: MariaNode, timeoutMs = 90_000): Promise<void> {
  let exited = false;
  try {
    await waitFor(`${node.name} (port ${node.port}, log ${node.log})`, () => {
      if (!node.process.alive()) {
        exited = true;
        return true;
      }
      if (!existsSync(node.socket)) return false;
      run('mariadb-admin', ['--no-defaults', '-S', node.socket, '-u', 'root', 'ping']);
      return true;
    }, timeoutMs, 300);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n${logTail(node)}`);
  }
  if (exited) throw new Error(`${node.name} exited while starting:\n${logTail(node)}`);
}

/** Root over TCP from 127.0.0.1, without a password, as on the shared test server. Not replicated. */
function grantRoot(node: MariaNode): void {
  socketSql(node, "SET SESSION sql_log_bin = 0; CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; CREATE DATABASE IF NOT EXISTS sss_test;");
}

async function create(name: string, extraArgs: (port: number) => string[]): Promise<Omit<MariaNode, 'process'>> {
  // As mysql, not root: the rsync daemon of a Galera state transfer would otherwise drop to nobody.
  const root = tempDir(name, 'mysql');
  const dataDir = join(root, 'data');
  install(dataDir);
  const port = await freePort();
  const socket = join(root, 'mysqld.sock');
  const log = join(root, 'error.log');
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--socket=${socket}`,
    `--pid-file=${join(root, 'mysqld.pid')}`,
    `--log-error=${log}`,
    '--user=mysql',
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=64M',
    '--innodb-flush-log-at-trx-commit=2',
    '--max-connections=300',
    ...extraArgs(port),
  ];
  return { name, port, dataDir, socket, log, args };
}

/** A stand-alone server; `extraArgs` such as a latin1 default character set. */
export async function startServer(name: string, extraArgs: string[] = []): Promise<MariaNode> {
  const spec = await create(name, () => extraArgs);
  const node: MariaNode = { ...spec, process: launch(spec) };
  await ready(node);
  grantRoot(node);
  return node;
}

/** A primary with GTID binlogs and a replica applying `delaySeconds` behind it (MASTER_DELAY). */
export async function startPrimaryReplica(delaySeconds: number): Promise<{ primary: MariaNode; replica: MariaNode }> {
  const primary = await startServer('maria-primary', ['--server-id=1', '--log-bin=binlog', '--binlog-format=ROW']);
  const replica = await startServer('maria-replica', ['--server-id=2', '--log-bin=binlog', '--binlog-format=ROW', '--read-only=ON']);
  socketSql(
    replica,
    `CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_USE_GTID=slave_pos, ` +
      `MASTER_DELAY=${delaySeconds}, MASTER_CONNECT_RETRY=1; START SLAVE;`,
  );
  await waitFor('maria-replica replicating', async () => {
    const [status] = await query(replica.port, 'SHOW SLAVE STATUS');
    return status?.Slave_IO_Running === 'Yes' && status?.Slave_SQL_Running === 'Yes';
  }, 30_000);
  return { primary, replica };
}

export interface GaleraCluster {
  readonly nodes: MariaNode[];
}

/** Three Galera nodes on loopback: the first bootstraps, the others join by rsync SST. */
export async function startGalera(): Promise<GaleraCluster> {
  const gcomm = [await freePort(), await freePort(), await freePort()];
  const address = `gcomm://${gcomm.map((port) => `127.0.0.1:${port}`).join(',')}`;
  const nodes: MariaNode[] = [];
  for (let i = 0; i < 3; i++) {
    const ist = await freePort();
    const sst = await freePort();
    const spec = await create(`galera-${i + 1}`, (port) => [
      '--wsrep-on=ON',
      `--wsrep-provider=${GALERA_PROVIDER}`,
      '--wsrep-cluster-name=sss',
      `--wsrep-node-name=galera-${i + 1}`,
      `--wsrep-cluster-address=${address}`,
      `--wsrep-node-address=127.0.0.1:${gcomm[i]}`,
      `--wsrep-node-incoming-address=127.0.0.1:${port}`,
      `--wsrep-sst-receive-address=127.0.0.1:${sst}`,
      '--wsrep-sst-method=rsync',
      // Short timeouts: a stopped or partitioned node is noticed within seconds, not a minute.
      `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${gcomm[i]};ist.recv_addr=127.0.0.1:${ist};` +
        'evs.suspect_timeout=PT3S;evs.inactive_timeout=PT5S;evs.keepalive_period=PT0.5S;evs.inactive_check_period=PT0.5S;' +
        'pc.wait_prim_timeout=PT30S;gcache.size=64M',
      '--binlog-format=ROW',
      '--default-storage-engine=InnoDB',
      '--innodb-autoinc-lock-mode=2',
      '--wsrep-slave-threads=2',
      ...(i === 0 ? ['--wsrep-new-cluster'] : []),
    ]);
    const node: MariaNode = { ...spec, process: launch(spec) };
    await ready(node, 120_000);
    await waitForSynced(node);
    if (i === 0) grantRoot(node);
    nodes.push(node);
  }
  return { nodes };
}

export async function waitForSynced(node: MariaNode, timeoutMs = 120_000): Promise<void> {
  await waitFor(`${node.name} synced`, () => {
    const out = run('mariadb', ['--no-defaults', '-S', node.socket, '-u', 'root', '-N', '-e', "SHOW STATUS LIKE 'wsrep_local_state_comment'"]);
    return /Synced/.test(out);
  }, timeoutMs, 300);
}

/** Restarts a stopped Galera node with its data (it rejoins by IST), without bootstrapping a new cluster. */
export async function restartGaleraNode(node: MariaNode): Promise<void> {
  const args = node.args.filter((arg) => arg !== '--wsrep-new-cluster');
  (node as { args: string[] }).args = args;
  // A node started right after a kill can find its ports or files still held and exit: it starts again.
  for (let attempt = 1; ; attempt++) {
    node.process = start(node.name, '/usr/sbin/mariadbd', args, { log: node.log });
    try {
      await ready(node, 240_000);
      break;
    } catch (error) {
      if (attempt >= 3 || node.process.alive()) throw error;
      console.log(`  ${node.name}: exited while rejoining (attempt ${attempt}), starting it again`);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  }
  await waitForSynced(node, 240_000);
}

export async function stopServer(node: MariaNode): Promise<void> {
  await stop(node.process, 20_000);
}

export interface Haproxy {
  readonly port: number;
  readonly process: Tracked;
}

/** HAProxy in TCP mode; `servers` are its backend lines after `server NAME`. */
export async function startHaproxy(name: string, backend: string[], servers: string[]): Promise<Haproxy> {
  const root = tempDir(name);
  const port = await freePort();
  const cfg = join(root, 'haproxy.cfg');
  const text = [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode tcp',
    '  timeout connect 2s',
    '  timeout client 10m',
    '  timeout server 10m',
    '  timeout check 1s',
    `listen ${name}`,
    `  bind 127.0.0.1:${port}`,
    ...backend.map((line) => `  ${line}`),
    ...servers.map((line, i) => `  server n${i + 1} ${line}`),
  ].join('\n');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(cfg, text + '\n');
  run('/usr/sbin/haproxy', ['-c', '-q', '-f', cfg]);
  const process_ = start(name, '/usr/sbin/haproxy', ['-db', '-f', cfg], { log: join(root, 'haproxy.log') });
  const net = await import('node:net');
  await waitFor(`${name} listening`, () => new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  }), 15_000);
  return { port, process: process_ };
}
