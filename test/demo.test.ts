// The demo app (`npm start`, examples/demo) end to end: the server runs as a child process exactly as
// an operator starts it, driven by headless Chromium (SQLite) and by fetch (every reachable database).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';

const ROOT = resolve(__dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];
const SECRET = 'demo-test-secret-not-for-production-0123456789';
const CI = process.env.CI === 'true' || process.env.CI === '1';
const TARGETS = (process.env.SSS_TARGETS ?? 'v6-sqlite').split(',');
// The same servers and databases as test/support/servers.cjs (which `npm test` creates).
const SERVER_URLS = {
  postgres: process.env.SSS_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/sss_test',
  mariadb: process.env.SSS_MARIADB_URL ?? 'mariadb://root@127.0.0.1:3306/sss_test',
};
/** A guard against a hung child, not a timing assumption: a healthy start takes about a second. */
const START_GUARD_MS = 30_000;

const tempDir = mkdtempSync(join(tmpdir(), 'sss-demo-'));
const children = new Set<ChildProcess>();

after(async () => {
  await Promise.all([...children].map((child) => stopChild(child)));
  rmSync(tempDir, { recursive: true, force: true });
});

interface Demo {
  /** http://127.0.0.1:port */
  readonly url: string;
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const merged: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', SESSION_SECRET: SECRET, ...env };
  // The child is an app, not a test file of this run.
  delete merged.NODE_TEST_CONTEXT;
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  return merged;
}

function spawnDemo(env: Record<string, string | undefined>): { child: ChildProcess; out: string[]; err: string[] } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo/server.ts'], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const out: string[] = [];
  const err: string[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => out.push(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => err.push(chunk));
  return { child, out, err };
}

/** Starts the demo and resolves once it prints its "listening on" line. */
function startDemo(env: Record<string, string | undefined>): Promise<Demo> {
  const { child, out, err } = spawnDemo(env);
  return new Promise((resolvePromise, reject) => {
    const guard = setTimeout(() => {
      void stopChild(child);
      reject(new Error(`the demo did not start within ${START_GUARD_MS} ms; stderr: ${err.join('')}`));
    }, START_GUARD_MS);
    const onExit = (code: number | null) => {
      clearTimeout(guard);
      reject(new Error(`the demo exited with ${code} before listening; stderr: ${err.join('')}`));
    };
    child.once('exit', onExit);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /listening on (http:\/\/\S+?)\/?$/.exec(line);
      if (!match) return;
      clearTimeout(guard);
      child.off('exit', onExit);
      resolvePromise({
        url: match[1]!,
        child,
        stdout: () => out.join(''),
        stderr: () => err.join(''),
        stop: () => stopChild(child),
      });
    });
  });
}

/** Ends a child this file started, by its pid: SIGTERM, and SIGKILL if it does not exit. */
async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  child.kill('SIGTERM');
  const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    return await exited;
  } finally {
    clearTimeout(guard);
  }
}

/** Runs the demo until it exits by itself (a failed start). */
async function runToExit(env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { child, out, err } = spawnDemo(env);
  const guard = setTimeout(() => child.kill('SIGKILL'), START_GUARD_MS);
  const code = await new Promise<number | null>((resolveExit) => child.once('exit', (c) => resolveExit(c)));
  clearTimeout(guard);
  // 'exit' may come before the pipes are drained.
  await Promise.all([child.stdout, child.stderr].map((s) => s && !s.readableEnded && new Promise((r) => s.once('end', r))));
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A cookie-keeping HTTP client, enough for the demo's one cookie. */
class Client {
  private cookie = '';
  constructor(public base: string) {}

  async request(path: string, form?: Record<string, string>) {
    const res = await fetch(this.base + path, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
    });
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(';')[0] ?? '';
      this.cookie = /^[^=]+=$/.test(pair) || /expires=Thu, 01 Jan 1970/i.test(header) ? '' : pair;
    }
    const body = await res.text();
    return { status: res.status, location: res.headers.get('location'), body, headers: res.headers };
  }
  get(path: string) {
    return this.request(path);
  }
  post(path: string, form: Record<string, string>) {
    return this.request(path, form);
  }
  hasCookie(): boolean {
    return this.cookie !== '';
  }
}

const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)?.[1] ?? assert.fail('no CSRF token in the page');
const visitsOf = (body: string) => Number(/data-testid="visits">(\d+)</.exec(body)?.[1] ?? NaN);
const userOf = (body: string) => /data-testid="user-name">([^<]*)</.exec(body)?.[1];
const sessionCountOf = (body: string) => Number(/data-testid="session-count">(\d+)</.exec(body)?.[1] ?? NaN);

async function signIn(client: Client, name: string): Promise<void> {
  const page = await client.get('/');
  assert.equal(page.status, 200);
  const res = await client.post('/sign-in', { name, _csrf: csrfOf(page.body) });
  assert.equal(res.status, 303, `sign-in answered ${res.status}: ${res.body.slice(0, 300)}`);
  assert.equal(res.location, '/');
}

const uniqueName = (prefix: string) => `${prefix} ${process.pid}-${Math.random().toString(36).slice(2, 7)}`;

/** The same scenario on every database: sign in, counter, two sessions, sign out elsewhere, restart. */
function httpScenario(databaseUrl: () => string) {
  let demo: Demo;
  const name = uniqueName('Grace');
  const first = new Client('');
  const second = new Client('');

  before(async () => {
    demo = await startDemo({ DATABASE_URL: databaseUrl() });
    first.base = demo.url;
    second.base = demo.url;
  });
  after(async () => {
    await demo?.stop();
  });

  it('prints which database it uses, without a password', () => {
    assert.match(demo.stdout(), /sessions in \S+/);
    assert.doesNotMatch(demo.stdout(), /:[^@/\s]+@/, 'no password in the printed URL');
  });

  it('signs in with a name and counts visits', async () => {
    await signIn(first, name);
    const one = await first.get('/');
    assert.equal(userOf(one.body), name);
    const two = await first.get('/');
    assert.equal(visitsOf(two.body), visitsOf(one.body) + 1);
  });

  it('lists both sessions of the name and signs out everywhere else', async () => {
    await signIn(second, name);
    const list = await first.get('/sessions');
    assert.equal(list.status, 200);
    assert.equal(sessionCountOf(list.body), 2);
    assert.equal(list.body.match(/class="session current"/g)?.length, 1);
    const res = await first.post('/sessions/sign-out-others', { _csrf: csrfOf(list.body) });
    assert.equal(res.status, 303);
    const after = await first.get('/sessions');
    assert.equal(sessionCountOf(after.body), 1);
    assert.match(after.body, /Signed out 1 other session\./);
    assert.equal(userOf((await second.get('/')).body), undefined, 'the second session is signed out');
  });

  it('keeps the session over a restart', async () => {
    const before = visitsOf((await first.get('/')).body);
    assert.equal(await demo.stop(), 0, 'a clean exit on SIGTERM');
    demo = await startDemo({ DATABASE_URL: databaseUrl() });
    first.base = demo.url;
    const page = await first.get('/');
    assert.equal(userOf(page.body), name);
    assert.equal(visitsOf(page.body), before + 1);
  });

  it('signs out', async () => {
    const page = await first.get('/');
    const res = await first.post('/sign-out', { _csrf: csrfOf(page.body) });
    assert.equal(res.status, 303);
    assert.equal(first.hasCookie(), false, 'the cookie is cleared');
    assert.equal(userOf((await first.get('/')).body), undefined);
  });
}

const sqliteUrl = (file: string) => `sqlite://${join(tempDir, file)}`;

describe('[v6 sqlite] demo over HTTP', { timeout: 120_000 }, () => {
  httpScenario(() => sqliteUrl('http.sqlite'));

  describe('security', () => {
    let demo: Demo;
    before(async () => {
      demo = await startDemo({ DATABASE_URL: sqliteUrl('security.sqlite') });
    });
    after(async () => {
      await demo?.stop();
    });

    it('refuses a form without the session CSRF token', async () => {
      const client = new Client(demo.url);
      const page = await client.get('/');
      assert.equal((await client.post('/sign-in', { name: 'Mallory' })).status, 403);
      assert.equal((await client.post('/sign-in', { name: 'Mallory', _csrf: 'x'.repeat(43) })).status, 403);
      const stranger = new Client(demo.url);
      assert.equal((await stranger.post('/sign-in', { name: 'Mallory', _csrf: csrfOf(page.body) })).status, 403);
      assert.equal(userOf((await client.get('/')).body), undefined);
    });

    it('escapes the name it shows', async () => {
      const client = new Client(demo.url);
      await signIn(client, `<img src=x onerror=alert(1)> & "q"`);
      const page = await client.get('/');
      assert.equal(userOf(page.body), '&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;');
      assert.doesNotMatch(page.body, /<img/);
    });

    it('sets an httpOnly, SameSite=Lax cookie, secure behind a TLS proxy, and a new id on sign-in', async () => {
      const res = await fetch(`${demo.url}/`);
      const cookie = res.headers.getSetCookie()[0] ?? '';
      assert.match(cookie, /HttpOnly/i);
      assert.match(cookie, /SameSite=Lax/i);
      assert.doesNotMatch(cookie, /Secure/i);
      const behindTls = await fetch(`${demo.url}/`, { headers: { 'x-forwarded-proto': 'https' } });
      assert.match(behindTls.headers.getSetCookie()[0] ?? '', /;\s*Secure/i);

      const page = await res.text();
      const before = cookie.split(';')[0] ?? '';
      const signIn = await fetch(`${demo.url}/sign-in`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: before, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name: 'Fixation', _csrf: csrfOf(page) }).toString(),
      });
      assert.equal(signIn.status, 303);
      const afterCookie = signIn.headers.getSetCookie()[0]?.split(';')[0];
      assert.ok(afterCookie && afterCookie !== before, 'sign-in regenerates the session id');
    });

    it('refuses an empty or overlong name', async () => {
      const client = new Client(demo.url);
      const page = await client.get('/');
      const res = await client.post('/sign-in', { name: '   ', _csrf: csrfOf(page.body) });
      assert.equal(res.status, 400);
      assert.match(res.body, /Please enter a name/);
      assert.equal((await client.post('/sign-in', { name: 'x'.repeat(41), _csrf: csrfOf(page.body) })).status, 400);
    });
  });
});

for (const dialect of ['postgres', 'mariadb', 'mysql'] as const) {
  const target = `v6-${dialect}`;
  const enabled = TARGETS.includes(target);
  const url = dialect === 'postgres' ? SERVER_URLS.postgres : SERVER_URLS.mariadb.replace(/^mariadb:/, `${dialect}:`);
  describe(`[v6 ${dialect}] demo over HTTP`, { skip: enabled ? false : `${target} is not a target of this run`, timeout: 120_000 }, () => {
    httpScenario(() => url);
  });
}

describe('demo start-up errors', { timeout: 60_000 }, () => {
  const oneLineFailure = (result: { code: number | null; stdout: string; stderr: string }) => {
    assert.equal(result.code, 1);
    const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines.length, 1, `exactly one line on stderr, got:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(result.stdout, /listening/);
    return lines[0]!;
  };

  it('an unreachable database: one line on stderr, exit code 1, no password', async () => {
    const result = await runToExit({ DATABASE_URL: 'postgres://postgres:s3cret-pw@127.0.0.1:1/x', SESSION_SECRET: undefined });
    const line = oneLineFailure(result);
    assert.match(line, /127\.0\.0\.1:1/);
    assert.doesNotMatch(result.stderr + result.stdout, /s3cret-pw/);
  });

  it('a bad DATABASE_URL: one line on stderr, exit code 1', async () => {
    assert.match(oneLineFailure(await runToExit({ DATABASE_URL: 'ftp://example.invalid/x' })), /unsupported scheme/);
    assert.match(oneLineFailure(await runToExit({ DATABASE_URL: 'not a url' })), /not a valid URL/);
  });

  it('a bad PORT: one line on stderr, exit code 1', async () => {
    assert.match(oneLineFailure(await runToExit({ PORT: 'eighty', DATABASE_URL: sqliteUrl('port.sqlite') })), /PORT/);
  });
});

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && !CI) {
  const banner = `!!! ${CHROMIUM} is missing: the demo's browser test is SKIPPED (run scripts/ensure-chromium.sh) !!!`;
  console.error(`\n${'!'.repeat(banner.length)}\n${banner}\n${'!'.repeat(banner.length)}\n`);
}

describe('[v6 sqlite] demo in a browser', { skip: !haveChromium && !CI ? `${CHROMIUM} is missing` : false, timeout: 120_000 }, () => {
  let browser: Browser;
  let demo: Demo;
  const databaseUrl = sqliteUrl('browser.sqlite');
  const name = 'Ada Lovelace';
  const artifacts = join(ROOT, 'test-artifacts');

  before(async () => {
    // Under CI a missing browser is a failure, not a skip.
    assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing (CI=true): run scripts/ensure-chromium.sh`);
    mkdirSync(artifacts, { recursive: true });
    demo = await startDemo({ DATABASE_URL: databaseUrl });
    // launch() gives each run a fresh temporary profile; the flags keep Chromium off the network.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    await demo?.stop();
  });

  async function signInWith(page: Page): Promise<void> {
    await page.goto(`${demo.url}/`);
    await page.getByLabel('Your name').fill(name);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('user-name').waitFor();
  }
  const visits = async (page: Page) => Number(await page.getByTestId('visits').textContent());

  it('signs in, counts visits, lists two sessions, signs out everywhere else, survives a restart', async () => {
    const desktop = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const first = await desktop.newPage();
    const second = await phone.newPage();

    await signInWith(first);
    assert.equal(await first.getByTestId('user-name').textContent(), name);
    const before = await visits(first);
    await first.reload();
    assert.equal(await visits(first), before + 1, 'the counter rises');

    await signInWith(second);
    await first.goto(`${demo.url}/sessions`);
    assert.equal(await first.getByTestId('session').count(), 2);
    assert.equal(await first.locator('.session.current').count(), 1);
    await first.screenshot({ path: join(artifacts, 'demo-sessions.png'), fullPage: true });
    await second.goto(`${demo.url}/sessions`);
    assert.equal(await second.getByTestId('session').count(), 2);
    await second.screenshot({ path: join(artifacts, 'demo-sessions-phone.png'), fullPage: true });

    await first.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await first.getByText('Signed out 1 other session.').waitFor();
    assert.equal(await first.getByTestId('session').count(), 1);

    await second.goto(`${demo.url}/`);
    assert.equal(await second.getByTestId('user-name').count(), 0, 'the other browser is signed out');
    assert.equal(await second.getByLabel('Your name').count(), 1);

    const beforeRestart = await visits(await first.goto(`${demo.url}/`).then(() => first));
    assert.equal(await demo.stop(), 0);
    demo = await startDemo({ DATABASE_URL: databaseUrl });
    // Cookies are per host, not per port: the new port still gets the cookie.
    await first.goto(`${demo.url}/`);
    assert.equal(await first.getByTestId('user-name').textContent(), name, 'still signed in after a restart');
    assert.equal(await visits(first), beforeRestart + 1);

    await first.getByRole('button', { name: 'Sign out', exact: true }).click();
    await first.getByLabel('Your name').waitFor();
    await desktop.close();
    await phone.close();
  });
});

for (const dialect of ['mariadb', 'mysql'] as const) {
  const enabled = TARGETS.includes(`v6-${dialect}`);
  describe(`[v6 ${dialect}] demo session table`, { skip: enabled ? false : `v6-${dialect} is not a target of this run` }, () => {
    it('the sid column compares byte for byte, as the store needs: case and trailing spaces count', async () => {
      const { connect, defineSessionModel } = await import('../examples/demo/database.js');
      const sequelize = connect({ dialect, url: SERVER_URLS.mariadb.replace(/^mariadb:/, `${dialect}:`) } as never);
      const table = `demo_sid_${process.pid}_${Math.random().toString(36).slice(2, 7)}`;
      try {
        const model = defineSessionModel(sequelize, table);
        await model.sync();
        const [column] = (await sequelize.query(
          'SELECT COLUMN_TYPE AS type FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = ?',
          { replacements: [table, 'sid'], type: 'SELECT' },
        )) as Array<{ type: string }>;
        assert.equal(column?.type, 'varbinary(1020)');
        const expires = new Date(Date.now() + 60_000);
        const session = (visits: number) => ({ cookie: { expires, originalMaxAge: 60_000 }, visits }) as never;
        const { SequelizeSessionStore } = await import('../src/store.js');
        const exact = new SequelizeSessionStore({ sequelize: sequelize as never, model, expiration: { interval: false } });
        await exact.set('abc', session(1));
        await exact.set('ABC', session(2));
        await exact.set('abc ', session(3));
        assert.deepEqual([(await exact.get('abc'))?.visits, (await exact.get('ABC'))?.visits, (await exact.get('abc '))?.visits], [1, 2, 3]);
        assert.equal(await exact.length(), 3);
        await exact.close();
      } finally {
        await sequelize.getQueryInterface().dropTable(table);
        await sequelize.close();
      }
    });
  });
}
