// The command line on the tables of the four peer stores, each made and filled by the peer package
// itself: `stats`, `prune` and `create-table` with `--preset` (and with `--table` + `--columns`),
// after which the peer still reads its own sessions.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { targets, type Dialect } from './support/targets.js';
import {
  VERSIONS,
  call,
  freshPlace,
  openConnectPgSimple,
  openConnectSessionKnex,
  openConnectSessionSequelize,
  openExpressMysqlSession,
  sessionOf,
  type OpenPeer,
  type Place,
} from './support/peers.js';

const HOUR = 3_600_000;
const execute = promisify(execFile);

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execute(process.execPath, [resolve('dist/cli.js'), ...args], { timeout: 60_000, env: { ...process.env, DATABASE_URL: '' } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

function urlOf(place: Place): string {
  if (place.dialect === 'sqlite') return `sqlite:${place.storage}`;
  const base = new URL(place.dialect === 'postgres' ? PG_URL : MARIADB_URL);
  base.protocol = `${place.dialect}:`;
  base.pathname = `/${place.database}`;
  return base.href;
}

interface Peer {
  readonly name: keyof typeof VERSIONS;
  readonly dialects: readonly Dialect[];
  readonly open: (place: Place) => Promise<OpenPeer>;
  /** The same layout spelled out, as for a table the preset does not know by name. */
  readonly spelled: readonly string[];
}

const PEERS: Peer[] = [
  { name: 'connect-pg-simple', dialects: ['postgres'], open: openConnectPgSimple, spelled: ['--table', 'session'] },
  {
    name: 'connect-session-sequelize', dialects: ['sqlite', 'postgres', 'mariadb', 'mysql'], open: openConnectSessionSequelize,
    spelled: ['--table', 'Sessions', '--columns', 'sess=data,expire=expires'],
  },
  {
    name: 'express-mysql-session', dialects: ['mariadb', 'mysql'], open: openExpressMysqlSession,
    spelled: ['--table', 'sessions', '--columns', 'sid=session_id,sess=data,expire=expires'],
  },
  {
    name: 'connect-session-knex', dialects: ['sqlite', 'postgres', 'mariadb', 'mysql'], open: openConnectSessionKnex,
    spelled: ['--table', 'sessions', '--columns', 'expire=expired'],
  },
];

// The command line runs on Sequelize v6 (it takes `sequelize` when installed).
const dialects = new Set(targets().filter((target) => target.major === 'v6').map((target) => target.dialect));

for (const peer of PEERS) {
  for (const dialect of peer.dialects.filter((candidate) => dialects.has(candidate))) {
    describe(`[v6 ${dialect}] command line on the table of ${peer.name} ${VERSIONS[peer.name]}`, () => {
      it('stats (--preset, and --table/--columns), prune and create-table; the peer still reads its sessions', async () => {
        const place = await freshPlace(dialect);
        try {
          let opened = await peer.open(place);
          await call(opened.store, 'set', 'live-1', sessionOf(HOUR, { n: 1 }));
          await call(opened.store, 'set', 'live-2', sessionOf(HOUR, { n: 2 }));
          await call(opened.store, 'set', 'gone', sessionOf(-HOUR, { n: 3 }));
          await opened.close();

          const url = urlOf(place);
          for (const layout of [['--preset', peer.name], [...peer.spelled]]) {
            const stats = await cli('stats', '--json', '--url', url, ...layout);
            assert.equal(stats.code, 0, `${layout.join(' ')}: ${stats.stderr}`);
            const counts = JSON.parse(stats.stdout) as Record<string, unknown>;
            assert.deepEqual({ ...counts, table: undefined }, { table: undefined, total: 3, live: 2, expired: 1, markers: 0 }, layout.join(' '));
          }

          const pruned = await cli('prune', '--url', url, '--preset', peer.name);
          assert.equal(pruned.code, 0, pruned.stderr);
          assert.match(pruned.stdout, /removed 1 expired session rows/);
          const created = await cli('create-table', '--url', url, '--preset', peer.name);
          assert.equal(created.code, 0, created.stderr);
          assert.match(created.stdout, /is ready/);
          const after = JSON.parse((await cli('stats', '--json', '--url', url, '--preset', peer.name)).stdout) as Record<string, unknown>;
          assert.equal(after.total, 2);
          assert.equal(after.live, 2);

          opened = await peer.open(place);
          assert.equal((await call<{ n?: number } | null>(opened.store, 'get', 'live-1'))?.n, 1);
          assert.equal((await call<{ n?: number } | null>(opened.store, 'get', 'live-2'))?.n, 2);
          await opened.close();
        } finally {
          await place.drop();
        }
      });
    });
  }
}

describe('command line with a layout that does not fit the table', () => {
  const dialect: Dialect | undefined = dialects.has('sqlite') ? 'sqlite' : undefined;
  it('a column the table lacks: one line naming it, exit code 2', { skip: dialect ? false : 'no v6 sqlite target' }, async () => {
    const place = await freshPlace(dialect!);
    const opened = await openConnectSessionKnex(place);
    await opened.close();
    const { code, stdout, stderr } = await cli('stats', '--url', urlOf(place), '--table', 'sessions');
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
    assert.match(stderr, /has no column `expire`/);
  });
});
