// The operators' command line, run as a child process (the built dist/cli.js, as installed) against
// real SQLite files, PostgreSQL and MariaDB: each command on the default table, and each wrong
// argument answered by one line on stderr and exit code 2.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SequelizeSessionStore } from '../src/store.js';
import { MARIADB_URL, PG_URL } from './support/servers.cjs';
import { sqliteFile, targets, uniqueTable } from './support/targets.js';
import { makeSession, HOUR } from './support/store-kit.js';

const CLI = resolve('dist/cli.js');
const execute = promisify(execFile);

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the command line; resolves whatever its exit code. */
async function cli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; cli?: string } = {}): Promise<Outcome> {
  const env = { ...process.env, DATABASE_URL: '', ...options.env };
  try {
    const { stdout, stderr } = await execute(process.execPath, [options.cli ?? CLI, ...args], { timeout: 60_000, cwd: options.cwd, env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Exit code 2 and exactly one line on stderr, matching `pattern`; nothing on stdout. */
async function refuses(args: string[], pattern: RegExp, options: Parameters<typeof cli>[1] = {}): Promise<void> {
  const { code, stdout, stderr } = await cli(args, options);
  const lines = stderr.split('\n').filter((line) => line !== '');
  assert.equal(code, 2, `exit code for ${args.join(' ')}: ${stderr}`);
  assert.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(lines[0]!, /Cannot read properties|TypeError|at .*:\d+:\d+|ERR_PARSE_ARGS/);
  assert.equal(stdout, '');
}

describe('command line: wrong arguments get one line and exit code 2', () => {
  const existing = sqliteFile('cli-args');
  const url = `sqlite:${existing}`;

  it('no command', () => refuses([], /missing command .*create-table, prune, stats, hash-sids, migration/));
  it('an unknown command, with a suggestion', () => refuses(['stat', '--url', url], /unknown command "stat" \(did you mean stats\?\)/));
  it('an unknown option', () => refuses(['stats', '--frobnicate', '--url', url], /unknown option --frobnicate; see --help/));
  it('a misspelled option, with a suggestion', () => refuses(['stats', '--tabel', 'x', '--url', url], /unknown option --tabel \(did you mean --table\?\)/));
  it('an unknown short option', () => refuses(['stats', '-x'], /unknown option -x/));
  it('an option without its value', () => refuses(['stats', '--url'], /option --url needs a value/));
  it('an option whose value is the next option', () => refuses(['stats', '--table', '--url', url], /option --table needs a value/));
  it('an option given twice', () => refuses(['stats', '--url', url, '--url', url], /option --url is given twice/));
  it('a flag given a value', () => refuses(['stats', '--json=yes', '--url', url], /option --json takes no value/));
  it('an option of another command', () => refuses(['prune', '--json', '--url', url], /option --json does not apply to prune \(only to stats\)/));
  it('no --url and no DATABASE_URL', () => refuses(['stats'], /missing --url \(or DATABASE_URL\)/));
  it('--url that is not a URL', () => refuses(['stats', '--url', 'not a url'], /--url is not a database URL \(expected postgres:\/\/…/));
  it('--url with an unsupported scheme', () => refuses(['stats', '--url', 'redis://127.0.0.1/0'], /the scheme "redis:" is not supported/));
  it('--url without a host', () => refuses(['stats', '--url', 'postgres://'], /not a valid postgres: URL|names no host/));
  it('a URL given without --url, never echoing it', () =>
    refuses(['stats', 'postgres://app:s3cret@db.example/app'], /^(?!.*s3cret).*a database URL goes after --url/));
  it('a URL given before the command', () => refuses(['postgres://app:s3cret@db.example/app', 'stats'], /a database URL goes after --url/));
  it('an extra argument', () => refuses(['stats', 'extra', '--url', url], /unexpected argument "extra" after stats/));
  it('--columns in another form', () => refuses(['stats', '--url', url, '--columns', 'data'], /--columns takes sid=<column>,sess=<column>,expire=<column>/));
  it('--columns with an unknown role', () => refuses(['stats', '--url', url, '--columns', 'sid=a,data=b'], /unknown column role "data"/));
  it('--dialect that is not one', () => refuses(['migration', '--dialect', 'postgress'], /--dialect must be one of postgres, mysql/));
  it('a table name the store refuses', () => refuses(['create-table', '--url', url, '--table', 'a"b'], /Expected `tableName` to be a name/));

  it('stats on an SQLite file that does not exist: refused, and no file is created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sss-cli-'));
    try {
      await refuses(['stats', '--url', 'sqlite:typo.sqlite'], /no SQLite database at typo\.sqlite \(create-table creates one\)/, { cwd: dir });
      await refuses(['prune', '--url', 'sqlite://typo.sqlite'], /no SQLite database at typo\.sqlite/, { cwd: dir });
      assert.equal(existsSync(join(dir, 'typo.sqlite')), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('-h and --help print the usage on stdout, exit 0', async () => {
    for (const flag of ['-h', '--help']) {
      const { code, stdout, stderr } = await cli(['stats', flag]);
      assert.equal(code, 0);
      assert.equal(stderr, '');
      assert.match(stdout, /^Usage: sequelize-session-store <command>/);
      for (const word of ['create-table', 'prune', 'stats', 'hash-sids', 'migration', '--table', '--columns', '--preset', '--json', '--dialect']) {
        assert.ok(stdout.includes(word), `usage names ${word}`);
      }
    }
  });

  it('--version and -V print the package version', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) assert.deepEqual(await cli([flag]), { code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('with Sequelize v7 only and its connector missing: one line naming the package to install', async () => {
    // A project with @sequelize/core but neither `sequelize` nor @sequelize/postgres.
    const dir = mkdtempSync(join(tmpdir(), 'sss-cli-v7-'));
    try {
      const pkg = join(dir, 'node_modules', 'sequelize-session-store');
      mkdirSync(pkg, { recursive: true });
      cpSync('dist', join(pkg, 'dist'), { recursive: true });
      cpSync('package.json', join(pkg, 'package.json'));
      mkdirSync(join(dir, 'node_modules', '@sequelize'));
      symlinkSync(resolve('node_modules/@sequelize/core'), join(dir, 'node_modules', '@sequelize', 'core'), 'dir');
      for (const name of ['debug', 'ms', 'express-session']) symlinkSync(resolve('node_modules', name), join(dir, 'node_modules', name), 'dir');
      const { code, stderr } = await cli(['stats', '--url', 'postgres://postgres@127.0.0.1:5432/sss_test'], {
        cli: join(pkg, 'dist', 'cli.js'),
        cwd: dir,
      });
      assert.equal(code, 1);
      assert.equal(stderr, 'sequelize-session-store: Sequelize v7 needs its postgres connector: npm install @sequelize/postgres\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const cases = targets()
  .filter((target) => target.major === 'v6' && target.dialect !== 'mysql')
  .map((target) => {
    const storage = sqliteFile('cli');
    const url = target.dialect === 'sqlite' ? `sqlite:${storage}` : target.dialect === 'postgres' ? PG_URL : MARIADB_URL;
    return { target, storage, url };
  });

for (const { target, storage, url } of cases) {
  describe(`${target.tag} command line on the default layout`, () => {
    const table = uniqueTable('cli');
    const open = () => {
      const sequelize: any = target.connect(target.dialect === 'sqlite' ? { storage } : {});
      return { sequelize, store: (options = {}) => new SequelizeSessionStore({ sequelize, tableName: table, expiration: { interval: false }, ...options }) };
    };

    after(async () => {
      const { sequelize } = open();
      await sequelize.getQueryInterface().dropTable(table);
      await sequelize.close();
    });

    it('create-table, stats (text and --json), prune and hash-sids do what they say', async () => {
      const created = await cli(['create-table', '--url', url, '--table', table]);
      assert.equal(created.code, 0, created.stderr);
      assert.match(created.stdout, new RegExp(`table ${table} is ready`));
      if (target.dialect === 'sqlite') assert.ok(existsSync(storage), 'create-table creates the SQLite file');

      const { sequelize, store } = open();
      const plain = store();
      await plain.set('live-1', makeSession(HOUR, { n: 1 }));
      await plain.set('live-2', makeSession(HOUR, { n: 2 }));
      await plain.set('gone', makeSession(-HOUR));
      await plain.set('signed-out', makeSession(HOUR));
      await plain.destroy('signed-out');
      await plain.close();

      const text = await cli(['stats', '--url', url, '--table', table]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /live sessions: 2\n/);
      assert.match(text.stdout, /expired rows \(the next prune removes them\): 1\n/);
      assert.match(text.stdout, /total rows: \d+/);
      const json = await cli(['stats', '--json', '--url', url, '--table', table]);
      const counts = JSON.parse(json.stdout) as Record<string, unknown>;
      const markers = (counts.total as number) - 3;
      assert.deepEqual(counts, { table, total: 3 + markers, live: 2, expired: 1, markers });
      assert.ok(markers === 0 || markers === 1, 'a destroy leaves at most one marker');

      const pruned = await cli(['prune', '--url', url, '--table', table]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stdout, new RegExp(`removed 1 expired session rows from ${table}`));
      assert.match(pruned.stderr, new RegExp(`pruning 1 expired rows of ${table}`));
      assert.equal(JSON.parse((await cli(['stats', '--json', '--url', url, '--table', table])).stdout).expired, 0);

      const hashed = await cli(['hash-sids', '--url', url, '--table', table]);
      assert.equal(hashed.code, 0, hashed.stderr);
      assert.match(hashed.stdout, new RegExp(`hashed ${2 + markers} session ids in ${table}`));
      const digest = (sid: string) => createHash('sha256').update(sid).digest('hex');
      const reader = store({ hashSids: true });
      assert.equal((await reader.get('live-1'))?.n, 1);
      assert.equal(await reader.get('signed-out'), null);
      assert.deepEqual(Object.keys(await reader.all()).sort(), ['live-1', 'live-2'].map(digest).sort());
      // Run twice, nothing is hashed twice.
      assert.match((await cli(['hash-sids', '--url', url, '--table', table])).stdout, /hashed 0 session ids/);
      assert.equal((await reader.get('live-2'))?.n, 2);
      await reader.close();
      await sequelize.close();
    });

    it('a table that does not exist: one line, exit code 1', async () => {
      const { code, stdout, stderr } = await cli(['prune', '--url', url, '--table', `${table}_missing`]);
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.equal(stderr.trim().split('\n').length, 1);
      assert.match(stderr, new RegExp(`${table}_missing`));
    });
  });
}

const sqlite = targets().find((target) => target.major === 'v6' && target.dialect === 'sqlite');
if (sqlite) {
  describe('command line over many rows: progress on stderr', () => {
    const storage = sqliteFile('cli-many');
    const url = `sqlite:${storage}`;
    const table = uniqueTable('cli_many');

    it('prune and hash-sids report how far they got', async () => {
      assert.equal((await cli(['create-table', '--url', url, '--table', table])).code, 0);
      const sequelize: any = sqlite.connect({ storage });
      const store = new SequelizeSessionStore({ sequelize, tableName: table, expiration: { interval: false } });
      const rows = (count: number, expire: Date, prefix: string) =>
        Array.from({ length: count }, (_, index) => ({ sid: `${prefix}-${index}`, sess: '{"cookie":{}}', expire }));
      const model = store.model;
      await model.bulkCreate(rows(3_000, new Date(Date.now() - HOUR), 'old'));
      await model.bulkCreate(rows(1_500, new Date(Date.now() + HOUR), 'live'));

      const pruned = await cli(['prune', '--url', url, '--table', table]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stderr, new RegExp(`^pruning 3000 expired rows of ${table}…\n`));
      assert.match(pruned.stdout, /removed 3000 expired session rows/);

      const hashed = await cli(['hash-sids', '--url', url, '--table', table]);
      assert.equal(hashed.code, 0, hashed.stderr);
      assert.deepEqual(hashed.stderr.trim().split('\n'), [
        `hashing the session ids of ${table}: 1500 rows…`,
        '… 1000 of 1500 rows read, 1000 ids hashed',
        '… 1500 of 1500 rows read, 1500 ids hashed',
      ]);
      assert.match(hashed.stdout, /hashed 1500 session ids/);
      const reader = new SequelizeSessionStore({ sequelize, tableName: table, hashSids: true, expiration: { interval: false } });
      assert.equal(await reader.length(), 1_500);
      assert.notEqual(await reader.get('live-1499'), null);
      await Promise.all([store.close(), reader.close()]);
      await sequelize.close();
    });
  });
}

const postgres = targets().find((target) => target.major === 'v6' && target.dialect === 'postgres');
if (postgres) {
  describe(`${postgres.tag} command line on the README's JSONB table`, () => {
    const table = uniqueTable('cli_jsonb');
    let sequelize: any;
    let store: SequelizeSessionStore<any>;

    after(async () => {
      await store?.close();
      await sequelize.getQueryInterface().dropTable(table);
      await sequelize.close();
    });

    it('stats, prune and create-table with --table on a table of sid, sess JSONB, expire and userId', async () => {
      sequelize = postgres.connect();
      const { DataTypes } = require('sequelize') as typeof import('sequelize');
      const Session = sequelize.define('ReadmeSession', {
        sid: { type: DataTypes.STRING(255), primaryKey: true },
        sess: { type: DataTypes.JSONB, allowNull: false },
        expire: { type: DataTypes.DATE(6), allowNull: false },
        userId: { type: DataTypes.INTEGER, allowNull: true },
      }, { tableName: table, timestamps: false, indexes: [{ fields: ['expire'] }] });
      store = new SequelizeSessionStore({
        sequelize,
        model: Session,
        extras: (data, session) => { data.userId = (session as { userId?: number }).userId ?? null; },
        expiration: { interval: false },
      });
      await store.sync();
      await store.set('a', makeSession(HOUR, { userId: 1 }));
      await store.set('b', makeSession(HOUR, { userId: 2 }));
      await store.set('old', makeSession(-HOUR, { userId: 3 }));

      const created = await cli(['create-table', '--url', PG_URL, '--table', table]);
      assert.equal(created.code, 0, created.stderr);
      const stats = await cli(['stats', '--json', '--url', PG_URL, '--table', table]);
      assert.equal(stats.code, 0, stats.stderr);
      assert.deepEqual(JSON.parse(stats.stdout), { table, total: 3, live: 2, expired: 1, markers: 0 });
      const pruned = await cli(['prune', '--url', PG_URL, '--table', table]);
      assert.equal(pruned.code, 0, pruned.stderr);
      assert.match(pruned.stdout, /removed 1 expired session rows/);
      // The application's store still reads its sessions, with their extra column.
      assert.equal(((await store.get('a')) as { userId?: number } | null)?.userId, 1);
      assert.equal(await Session.count({ where: { userId: 2 } }), 1);
    });
  });
}
