// Checks what would be published: packs the tarball, runs are-the-types-wrong and publint on it,
// then unpacks it into a scratch project beside links to the installed peers and uses it from
// `import`, `require` (both forms) and TypeScript, for a v6 consumer and a v7-only one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const root = resolve('.');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const run = (file, args, options = {}) => execFileSync(file, args, { stdio: 'inherit', ...options });

const scratch = mkdtempSync(join(tmpdir(), 'sss-pack-'));
try {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', scratch], { encoding: 'utf8' }));
  const tarball = join(scratch, packed[0].filename);
  console.log(`packed ${packed[0].filename}: ${packed[0].files.length} files, ${packed[0].size} bytes`);
  run(bin('attw'), [tarball, '--profile', 'node16']);
  run(bin('publint'), ['run', tarball, '--strict']);

  /** A consumer project holding the unpacked tarball and links to some installed packages. */
  function consumer(name, packages) {
    const dir = join(scratch, name);
    const target = join(dir, 'node_modules', 'sequelize-session-store');
    mkdirSync(target, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
    for (const pkg of packages) {
      const link = join(dir, 'node_modules', pkg);
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(join(root, 'node_modules', pkg), link, 'dir');
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
    return dir;
  }

  // What the registry shows and what an install runs: links that resolve, no build on install.
  const probe = consumer('metadata', []);
  const manifest = JSON.parse(readFileSync(join(probe, 'node_modules/sequelize-session-store/package.json'), 'utf8'));
  for (const field of ['repository', 'homepage', 'bugs']) if (!manifest[field]) throw new Error(`package.json has no ${field}`);
  for (const script of ['prepare', 'install', 'postinstall', 'preinstall']) {
    if (manifest.scripts?.[script]) throw new Error(`the tarball's package.json runs a ${script} script on install`);
  }
  for (const file of ['README.md', 'LICENSE', 'CHANGELOG.md']) {
    if (!existsSync(join(probe, 'node_modules/sequelize-session-store', file))) throw new Error(`the tarball lacks ${file}`);
  }
  console.log('metadata: ok');

  const v6 = consumer('v6', ['express-session', 'sequelize', 'sqlite3', 'debug', 'ms', '@types', 'typescript']);
  writeFileSync(join(v6, 'esm.mjs'), `
import { SequelizeSessionStore } from 'sequelize-session-store';
import connect from 'sequelize-session-store';
import { Sequelize } from 'sequelize';
const sequelize = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
const store = new SequelizeSessionStore({ sequelize });
await store.set('esm', { cookie: { expires: new Date(Date.now() + 60000) } });
if ((await store.get('esm')) === null) throw new Error('import: set was not read back');
if (!(connect()({ db: sequelize, tableName: 'other' }) instanceof SequelizeSessionStore)) throw new Error('one class for both forms');
const { sessionTableMigration } = await import('sequelize-session-store');
await sessionTableMigration({ tableName: 'migrated' }).up({ context: sequelize.getQueryInterface() });
if (!(await sequelize.getQueryInterface().tableExists('migrated'))) throw new Error('import: sessionTableMigration');
await store.close(); await sequelize.close();
console.log('import: ok');
`);
  writeFileSync(join(v6, 'cjs.cjs'), `
const session = require('express-session');
const SequelizeSessionStore = require('sequelize-session-store')(session);
const { SequelizeSessionStore: Named } = require('sequelize-session-store');
const { Sequelize } = require('sequelize');
(async () => {
  const db = new Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
  const store = SequelizeSessionStore({ db, extras: (data) => { void data; } });
  const store2 = new SequelizeSessionStore({ db, tableName: 'two' });
  const store3 = new Named({ sequelize: db, tableName: 'three' });
  if (!(store instanceof Named && store2 instanceof Named && store3 instanceof session.Store)) throw new Error('require: wrong class');
  if (require('sequelize-session-store').default !== require('sequelize-session-store')) throw new Error('require: default');
  await store.set('cjs', { cookie: { expires: null } });
  if ((await store.get('cjs')) === null) throw new Error('require: set was not read back');
  await Promise.all([store.close(), store2.close(), store3.close()]); await db.close();
  console.log('require: ok');
})().catch((error) => { console.error(error); process.exit(1); });
`);
  // Type tests: what must compile does, and each \`@ts-expect-error\` must meet its error (tsc fails on an unused one).
  writeFileSync(join(v6, 'consumer.ts'), `
import session from 'express-session';
import { DataTypes, Model, Sequelize } from 'sequelize';
import { SequelizeSessionStore, sessionTableMigration, type SequelizeSessionStoreOptions } from 'sequelize-session-store';
const sequelize = new Sequelize('sqlite::memory:');
const options: SequelizeSessionStoreOptions = { sequelize, expiration: { interval: false } };
const store = new SequelizeSessionStore(options);
session({ store, secret: 'x', resave: false, saveUninitialized: false });

// The created model: a Sequelize model class, whatever the major.
const all: Promise<unknown[]> = store.model.findAll();
const counted: Promise<number> = store.model.count({ where: {} });

// A model of yours keeps its own type.
class Session extends Model {
  declare sid: string;
  declare userId: number | null;
}
Session.init(
  { sid: { type: DataTypes.STRING, primaryKey: true }, sess: DataTypes.TEXT, expire: DataTypes.DATE, userId: DataTypes.INTEGER },
  { sequelize, tableName: 'sessions' },
);
const mine = new SequelizeSessionStore({ sequelize, model: Session });
const rows: Promise<Session[]> = mine.model.findAll({ where: { userId: 42 } });
const first: Promise<Session | null> = mine.model.findOne();
const classic = new SequelizeSessionStore({ db: sequelize });

// @ts-expect-error -- the instance is required
new SequelizeSessionStore({});
// @ts-expect-error -- the instance is required, whatever else is given
new SequelizeSessionStore({ tableName: 'sessions', expiration: { interval: false } });
// @ts-expect-error -- a Sequelize instance, not its options
new SequelizeSessionStore({ sequelize: { dialect: 'sqlite' } });
// @ts-expect-error -- mine.model is the user's class: no such static
mine.model.notAMethod();

const migration = sessionTableMigration({ tableName: 'sessions' });
const up: Promise<void> = migration.up({ context: sequelize.getQueryInterface() });
void [all, counted, rows, first, classic, up];
`);
  writeFileSync(join(v6, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', noEmit: true, types: [] }, files: ['consumer.ts'] }));
  run(process.execPath, ['esm.mjs'], { cwd: v6 });
  run(process.execPath, ['cjs.cjs'], { cwd: v6 });
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: v6 });
  console.log('v6 consumer types: ok');

  // A project with Sequelize v7 only: no `sequelize` package anywhere it can see.
  const v7 = consumer('v7', ['express-session', '@sequelize', 'sqlite3', 'debug', 'ms', '@types', 'typescript']);
  writeFileSync(join(v7, 'consumer.mts'), `
import session from 'express-session';
import { Sequelize } from '@sequelize/core';
import { SqliteDialect } from '@sequelize/sqlite3';
import { SequelizeSessionStore } from 'sequelize-session-store';
const sequelize = new Sequelize({ dialect: SqliteDialect, storage: ':memory:', pool: { idle: Infinity, max: 1 }, logging: false });
const store = new SequelizeSessionStore({ sequelize, expiration: { interval: false } });
session({ store, secret: 'x', resave: false, saveUninitialized: false });
// Types only, never called: the constructor would throw.
const missing = () =>
  // @ts-expect-error -- the instance is required
  new SequelizeSessionStore({ expiration: { interval: false } });
void missing;
await store.set('v7', { cookie: { expires: new Date(Date.now() + 60000) } } as never);
if ((await store.get('v7')) === null) throw new Error('v7: set was not read back');
const rows: unknown[] = await store.model.findAll();
if (rows.length !== 1) throw new Error('v7: store.model.findAll() finds the one session');
await store.close();
await sequelize.close();
console.log('v7-only consumer: ok');
`);
  writeFileSync(join(v7, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', outDir: 'out', types: [] }, files: ['consumer.mts'] }));
  run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: v7 });
  run(process.execPath, ['out/consumer.mjs'], { cwd: v7 });
  console.log('package checks: ok');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
