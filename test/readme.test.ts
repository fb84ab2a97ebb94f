// Every js and ts code block of README.md runs as pasted: each in a new folder inside the checkout
// (so `sequelize-session-store` resolves to this package, as it would once installed), against
// SQLite, within a time limit. A block that starts a server (on PORT=0) gets two requests sharing a
// cookie and is stopped. A block may be left out only by a marker comment on the line before it,
// `<!-- readme-test: skip (reason) -->`, which the test prints. A block marked
// `<!-- readme-test: setup of the first block of this section (…) -->` (a one-line switch) runs
// after that block's lines before its first `const store`: the imports and the instance it names.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { SequelizeSessionStore } from '../src/store.js';

const README = readFileSync('README.md', 'utf8');
const LIMIT_MS = 60_000;
const PRELOAD = pathToFileURL(resolve('test/support/readme-preload.mjs')).href;
const scratch = resolve('test-artifacts');
mkdirSync(scratch, { recursive: true });
const root = mkdtempSync(join(scratch, 'readme-'));
after(() => rmSync(root, { recursive: true, force: true }));

interface Block {
  readonly lang: string;
  readonly line: number;
  readonly code: string;
  readonly skip: string | undefined;
  /** The lines this block runs after: for a one-line switch, the setup of its section's first block. */
  readonly setup: string;
}

function blocks(): Block[] {
  const found: Block[] = [];
  const lines = README.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^(\s*)```(\w*)\s*$/.exec(lines[index]!);
    if (!open) continue;
    const [, indent, lang] = open as unknown as [string, string, string];
    const start = index;
    const body: string[] = [];
    for (index++; index < lines.length && !/^\s*```\s*$/.test(lines[index]!); index++) body.push(lines[index]!.slice(indent.length));
    const before = lines[start - 1] ?? '';
    const marker = /<!-- readme-test: skip \(([^)]+)\) -->/.exec(before);
    const code = body.join('\n') + '\n';
    if (before.includes('<!-- readme-test: setup of the first block of this section')) {
      const section = lines.slice(0, start).reduce((last, text, at) => (/^## /.test(text) ? at : last), -1);
      const first = found.find((block) => block.line > section && /^(js|ts)/.test(block.lang) && block.setup === '');
      assert.ok(first, `README line ${start + 1}: no block in its section to take the setup from`);
      const setup = first.code.slice(0, first.code.search(/^const store\b/m));
      found.push({ lang, line: start + 1, code: setup + code, skip: undefined, setup });
    } else {
      found.push({ lang, line: start + 1, code, skip: marker?.[1], setup: '' });
    }
  }
  return found;
}

const runnable = blocks().filter((block) => ['js', 'ts', 'javascript', 'typescript'].includes(block.lang));

/** The file name a block needs: ES modules where it imports (or awaits at top level), CommonJS where it requires. */
function fileFor(block: Block): string {
  const esm = /^import\s/m.test(block.code) || /^await\s/m.test(block.code);
  const ts = block.lang.startsWith('t');
  return `block-${block.line}.${ts ? (esm ? 'mts' : 'cts') : esm ? 'mjs' : 'cjs'}`;
}

/** Two requests sharing the session cookie; both answer 200 and the cookie is issued once. */
async function visit(port: number): Promise<void> {
  const first = await fetch(`http://127.0.0.1:${port}/`);
  const one = await first.text();
  assert.equal(first.status, 200, one);
  const cookie = first.headers.get('set-cookie')?.split(';', 1)[0];
  assert.ok(cookie, 'the first answer sets the session cookie');
  const second = await fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } });
  const two = await second.text();
  assert.equal(second.status, 200, two);
  assert.notEqual(one.trim(), two.trim(), 'the second request saw the session the first one saved');
}

function runBlock(block: Block): Promise<{ server: boolean }> {
  const dir = mkdtempSync(join(root, `line-${block.line}-`));
  const file = join(dir, fileFor(block));
  writeFileSync(file, block.code);
  const child = spawn(process.execPath, ['--import', 'tsx', '--import', PRELOAD, file], {
    cwd: dir,
    env: { ...process.env, PORT: '0', DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolvePromise, reject) => {
    let server = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`README block at line ${block.line} did not finish within ${LIMIT_MS} ms:\n${output}`));
    }, LIMIT_MS);
    child.on('message', (message: { listening?: number }) => {
      if (message.listening === undefined) return;
      server = true;
      visit(message.listening).then(
        () => child.kill('SIGTERM'),
        (error: unknown) => {
          child.kill('SIGKILL');
          clearTimeout(timer);
          reject(error);
        },
      );
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (server && signal === 'SIGTERM') resolvePromise({ server });
      else if (code === 0) resolvePromise({ server });
      else reject(new Error(`README block at line ${block.line} exited with ${code ?? signal}:\n${output}`));
    });
  });
}

describe('README code blocks run as pasted', () => {
  it('has js/ts blocks, and says why any is left out', () => {
    assert.ok(runnable.length >= 6, `found ${runnable.length} blocks`);
    for (const block of runnable.filter((candidate) => candidate.skip)) console.log(`README line ${block.line}: not run (${block.skip})`);
  });

  for (const block of runnable) {
    const own = block.code.slice(block.setup.length);
    const title = own.split('\n').find((line) => line.trim() !== '' && !line.startsWith('import') && !line.includes('require('));
    it(`line ${block.line} (${block.lang}): ${title?.trim().slice(0, 60) ?? ''}`, { skip: block.skip }, async () => {
      await runBlock(block);
    });
  }

  it('the command that makes an encryption key makes one the store accepts', async () => {
    const command = /^\s*node -e "(console\.log\(require\('crypto'\)\.randomBytes\(32\)\.toString\('hex'\)\))"\s*$/m.exec(README);
    assert.ok(command, 'README shows the key-generating command');
    const { stdout } = await promisify(execFile)(process.execPath, ['-e', command[1]!]);
    const key = stdout.trim();
    assert.match(key, /^[0-9a-f]{64}$/);
    const sequelize = new (require('sequelize') as typeof import('sequelize')).Sequelize({ dialect: 'sqlite', storage: ':memory:', logging: false });
    const store = new SequelizeSessionStore({ sequelize: sequelize as never, encryption: { keys: [key] }, expiration: { interval: false } });
    await store.set('k', { cookie: { expires: new Date(Date.now() + 60_000) }, secret: 1 } as never);
    assert.equal(((await store.get('k')) as { secret?: number } | null)?.secret, 1);
    await store.close();
    await sequelize.close();
  });
});
