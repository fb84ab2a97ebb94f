// PostgreSQL under Patroni: one etcd, two Patroni nodes (each running its own PostgreSQL 15), and
// HAProxy sending connections to whichever node Patroni's REST API calls the primary.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHaproxy, type Haproxy } from './mariadb.js';
import { PG_BIN, query } from './postgres.js';
import { adopt, freePort, kill, postmasterPid, start, stop, tempDir, waitFor, type Tracked } from './procs.js';

export interface PatroniNode {
  readonly name: string;
  readonly pgPort: number;
  readonly restPort: number;
  readonly dataDir: string;
  readonly config: string;
  readonly log: string;
  patroni: Tracked;
  postmaster: Tracked | undefined;
}

export interface PatroniCluster {
  readonly etcd: Tracked;
  readonly nodes: PatroniNode[];
  readonly haproxy: Haproxy;
}

async function rest(node: PatroniNode, path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://127.0.0.1:${node.restPort}${path}`, { ...init, signal: AbortSignal.timeout(2_000) });
}

async function startEtcd(): Promise<{ etcd: Tracked; port: number }> {
  const root = tempDir('etcd');
  const port = await freePort();
  const peer = await freePort();
  const etcd = start(
    'etcd',
    '/usr/bin/etcd',
    [
      '--name', 'sss', '--data-dir', join(root, 'data'),
      '--listen-client-urls', `http://127.0.0.1:${port}`, '--advertise-client-urls', `http://127.0.0.1:${port}`,
      '--listen-peer-urls', `http://127.0.0.1:${peer}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peer}`,
      '--initial-cluster', `sss=http://127.0.0.1:${peer}`,
      '--enable-v2=true',
    ],
    { log: join(root, 'etcd.log') },
  );
  await waitFor('etcd', async () => (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(1_000) })).ok, 30_000);
  return { etcd, port };
}

function configText(name: string, root: string, pgPort: number, restPort: number, etcdPort: number): string {
  // JSON is YAML: no YAML writer needed.
  return JSON.stringify({
    scope: `sss-${process.pid}`,
    name,
    restapi: { listen: `127.0.0.1:${restPort}`, connect_address: `127.0.0.1:${restPort}` },
    etcd: { host: `127.0.0.1:${etcdPort}` },
    bootstrap: {
      dcs: {
        // A dead primary's leader key expires after ttl: that bounds the failover.
        ttl: 10,
        loop_wait: 1,
        retry_timeout: 4,
        maximum_lag_on_failover: 16 * 1024 * 1024,
        synchronous_mode: false,
        postgresql: {
          use_pg_rewind: true,
          parameters: {
            wal_level: 'replica', hot_standby: 'on', max_wal_senders: 10, max_replication_slots: 10,
            wal_keep_size: '256MB', wal_log_hints: 'on', fsync: 'off', shared_buffers: '32MB',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { auth: 'trust' }],
      pg_hba: ['host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
    },
    postgresql: {
      listen: `127.0.0.1:${pgPort}`,
      connect_address: `127.0.0.1:${pgPort}`,
      data_dir: join(root, 'data'),
      bin_dir: PG_BIN,
      pgpass: join(root, 'pgpass'),
      authentication: { superuser: { username: 'postgres' }, replication: { username: 'postgres' }, rewind: { username: 'postgres' } },
      parameters: { unix_socket_directories: root, max_connections: 100 },
      pg_hba: ['host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust'],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  });
}

function launch(node: PatroniNode): void {
  node.patroni = start(node.name, '/usr/bin/patroni', [node.config], { asPostgres: true, log: node.log });
  node.postmaster = undefined;
}

/** Adopts the postmaster Patroni started, so that it is stopped by its PID even if Patroni dies first. */
async function adoptPostmaster(node: PatroniNode): Promise<void> {
  await waitFor(`${node.name} postmaster`, () => postmasterPid(node.dataDir) !== undefined, 60_000);
  node.postmaster = adopt(`${node.name} postmaster`, postmasterPid(node.dataDir)!);
}

export async function role(node: PatroniNode): Promise<string | undefined> {
  try {
    const body = (await (await rest(node, '/patroni')).json()) as { role?: string; state?: string };
    return body.state === 'running' ? body.role : undefined;
  } catch {
    return undefined;
  }
}

export async function leader(cluster: PatroniCluster): Promise<PatroniNode | undefined> {
  for (const node of cluster.nodes) if ((await role(node)) === 'master' || (await role(node)) === 'primary') return node;
  return undefined;
}

async function streaming(cluster: PatroniCluster): Promise<boolean> {
  const primary = await leader(cluster);
  if (!primary) return false;
  const rows = await query(primary.pgPort, "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'");
  return rows[0].n >= cluster.nodes.length - 1;
}

export async function startPatroni(): Promise<PatroniCluster> {
  const { etcd, port: etcdPort } = await startEtcd();
  const nodes: PatroniNode[] = [];
  for (const name of ['patroni-a', 'patroni-b']) {
    const root = tempDir(name, 'postgres');
    const pgPort = await freePort();
    const restPort = await freePort();
    const config = join(root, 'patroni.yml');
    writeFileSync(config, configText(name, root, pgPort, restPort, etcdPort));
    const node: PatroniNode = { name, pgPort, restPort, dataDir: join(root, 'data'), config, log: join(root, 'patroni.log'), patroni: undefined!, postmaster: undefined };
    launch(node);
    nodes.push(node);
    // The first bootstraps; the second then clones it.
    await adoptPostmaster(node);
    await waitFor(`${name} running`, async () => (await role(node)) !== undefined, 90_000);
  }
  const haproxy = await startHaproxy(
    'patroni',
    ['option httpchk OPTIONS /primary', 'http-check expect status 200', 'default-server inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions'],
    nodes.map((node) => `127.0.0.1:${node.pgPort} check port ${node.restPort}`),
  );
  const cluster = { etcd, nodes, haproxy };
  await waitFor('patroni replica streaming', () => streaming(cluster), 60_000);
  // HAProxy counts a server as up until its first checks fail: wait until it routes to the primary only.
  await waitFor('haproxy routing to the primary', async () => {
    for (let i = 0; i < 4; i++) if ((await query(haproxy.port, 'SELECT pg_is_in_recovery() AS r'))[0].r !== false) return false;
    return true;
  }, 30_000);
  return cluster;
}

/** Turns synchronous_mode on or off and waits until the replica is (or is no longer) the sync standby. */
export async function setSynchronous(cluster: PatroniCluster, on: boolean): Promise<void> {
  const primary = (await leader(cluster))!;
  const response = await rest(primary, '/config', { method: 'PATCH', body: JSON.stringify({ synchronous_mode: on }), headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`PATCH /config: ${response.status}`);
  await waitFor(`synchronous_mode ${on}`, async () => {
    const rows = await query(primary.pgPort, "SELECT count(*)::int AS n FROM pg_stat_replication WHERE sync_state = 'sync'");
    return (rows[0].n > 0) === on;
  }, 30_000);
}

/** The leader's node crashes: Patroni and its PostgreSQL are killed at once. */
export async function crash(node: PatroniNode): Promise<void> {
  await kill(node.patroni);
  if (node.postmaster) await kill(node.postmaster);
}

/** Starts a crashed node again; it rejoins as a replica (pg_rewind) and streams. */
export async function rejoin(cluster: PatroniCluster, node: PatroniNode): Promise<void> {
  launch(node);
  await adoptPostmaster(node);
  await waitFor(`${node.name} back as a replica`, async () => (await role(node)) === 'replica', 90_000);
  await waitFor('patroni replica streaming', () => streaming(cluster), 60_000);
}

export async function stopPatroni(cluster: PatroniCluster): Promise<void> {
  await stop(cluster.haproxy.process);
  for (const node of cluster.nodes) {
    await stop(node.patroni, 15_000);
    if (node.postmaster) await stop(node.postmaster, 5_000);
  }
  await stop(cluster.etcd);
}
