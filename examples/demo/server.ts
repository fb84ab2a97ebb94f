// `npm start`: reads the environment, checks the database, serves the demo. A failed start is one
// line on stderr and exit code 1: the operator needs the cause, not a stack trace.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { createApp, oneLine } from './app.js';
import { ConfigError, DATA_DIR, loadConfig, type DemoConfig } from './config.js';
import { TABLE_NAME, connect, createStore } from './database.js';

const START_TIMEOUT_MS = 15_000;
const DATABASE_LABELS: Record<string, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MySQL', mariadb: 'MariaDB' };

async function main(): Promise<void> {
  const config = loadConfig();
  const sequelize = connect(config.database);
  const { store, model } = createStore(sequelize);
  // A failed background prune is reported here; without a listener the store only logs it to debug.
  store.on('error', (err: unknown) => console.error(`demo: session store: ${oneLine(err)}`));
  let server: Server | undefined;

  const shutdown = async () => {
    server?.close();
    server?.closeAllConnections();
    await store.close();
    await sequelize.close();
  };
  const fail = async (err: unknown) => {
    console.error(`demo: cannot start: ${describeError(err, config)}`);
    await Promise.race([shutdown().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    process.exit(1);
  };

  try {
    // Creates the table if missing and, above all, finds an unreachable database before we listen.
    await withTimeout(store.sync(), START_TIMEOUT_MS, `the database did not answer within ${START_TIMEOUT_MS / 1000} s`);
    const secret = config.sessionSecret ?? generatedSecret();
    const app = createApp({ store, model, secret, databaseLabel: DATABASE_LABELS[config.database.dialect] ?? 'the database' });
    server = createServer(app);
    await listen(server, config);
  } catch (err) {
    return fail(err);
  }

  const { port } = server.address() as AddressInfo;
  const host = config.host && config.host !== '0.0.0.0' && config.host !== '::' ? config.host : 'localhost';
  console.log(`demo: sessions in ${config.database.display} (table ${TABLE_NAME})`);
  console.log(`demo: listening on http://${host.includes(':') ? `[${host}]` : host}:${port}/`);

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      shutdown().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`demo: error while stopping: ${oneLine(err)}`);
          process.exit(1);
        },
      );
    });
  }
}

/**
 * Without SESSION_SECRET, a random secret is generated once and kept in examples/demo/data/ (gitignored),
 * so that `npm start` twice in a row keeps everyone signed in, as a fresh secret per start would not.
 * Production sets SESSION_SECRET; the tests do too.
 */
function generatedSecret(): string {
  const file = join(DATA_DIR, 'session-secret');
  let secret = '';
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    // Not there yet: generated below.
  }
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    mkdirSync(DATA_DIR, { recursive: true });
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  console.error(`demo: warning: SESSION_SECRET is not set; using the generated secret in ${relative(process.cwd(), file) || file}`);
  return secret;
}

function listen(server: Server, config: DemoConfig): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One line naming what failed, never the database password. */
function describeError(err: unknown, config: DemoConfig): string {
  if (err instanceof ConfigError) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE' || code === 'EACCES') return `cannot listen on port ${config.port}: ${oneLine(err)}`;
  let text = `${config.database.display}: ${rootMessage(err)}`;
  const password = passwordOf(config.database.url);
  for (const form of password ? [password, encodeURIComponent(password)] : []) text = text.split(form).join('***');
  return text;
}

/** Sequelize wraps driver errors (ConnectionRefusedError around ECONNREFUSED …): show the cause. */
function rootMessage(err: unknown): string {
  let current = err;
  for (let depth = 0; depth < 5 && current; depth++) {
    const text = oneLine(current);
    // An empty message shows as the class name: the cause says more.
    if (text && !/^[A-Za-z]*Error$/.test(text)) return text;
    const wrapper = current as { original?: unknown; parent?: unknown; cause?: unknown; errors?: unknown[]; code?: unknown };
    const inner = wrapper.original ?? wrapper.parent ?? wrapper.cause ?? wrapper.errors?.[0];
    if (!inner) return typeof wrapper.code === 'string' ? wrapper.code : text || 'unknown error';
    current = inner;
  }
  return oneLine(current) || 'unknown error';
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

main().catch((err: unknown) => {
  // Only a bug gets here (config errors are handled in main): still one line.
  console.error(`demo: cannot start: ${err instanceof ConfigError ? err.message : oneLine(err)}`);
  process.exit(1);
});
