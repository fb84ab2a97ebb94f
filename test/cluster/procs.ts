// Every process a cluster setup starts goes through here: each is spawned in a process group of its
// own, remembered by PID, and stopped by that PID (its group) when the setup stops, when the run
// ends, and also when it fails or is interrupted. Temporary directories are removed the same way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, chownSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

export interface Tracked {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  alive(): boolean;
}

const running = new Map<number, Tracked>();
const dirs = new Set<string>();

export const POSTGRES_UID = Number(spawnSync('id', ['-u', 'postgres']).stdout.toString().trim());
export const POSTGRES_GID = Number(spawnSync('id', ['-g', 'postgres']).stdout.toString().trim());
export const MYSQL_UID = Number(spawnSync('id', ['-u', 'mysql']).stdout.toString().trim());
export const MYSQL_GID = Number(spawnSync('id', ['-g', 'mysql']).stdout.toString().trim());

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

export interface SpawnOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** Run as the postgres user (PostgreSQL and Patroni refuse root). */
  asPostgres?: boolean;
  /** Where stdout and stderr go. */
  log: string;
}

/** Starts a long-running server process and tracks it until it exits. */
export function start(name: string, command: string, args: string[], options: SpawnOptions): Tracked {
  const out = createWriteStream(options.log, { flags: 'a' });
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.asPostgres ? { uid: POSTGRES_UID, gid: POSTGRES_GID } : {}),
  });
  out.on('error', () => {});
  child.stdout!.pipe(out, { end: false });
  child.stderr!.pipe(out, { end: false });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name}: ${command} did not start`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => out.end());
  const tracked: Tracked = { name, pid, child, exited, alive: () => child.exitCode === null && child.signalCode === null };
  running.set(pid, tracked);
  void exited.then(() => running.delete(pid));
  return tracked;
}

/**
 * Tracks a process that one of ours started and left running on its own (a postmaster that
 * Patroni launched, read from its postmaster.pid), so that it is stopped too.
 */
export function adopt(name: string, pid: number): Tracked {
  const existing = running.get(pid);
  if (existing) return existing;
  const exited = (async () => {
    while (isAlive(pid)) await sleep(100);
  })();
  const tracked: Tracked = { name, pid, child: undefined, exited, alive: () => isAlive(pid) };
  running.set(pid, tracked);
  void exited.then(() => running.delete(pid));
  return tracked;
}

/** The postmaster's PID from a data directory, when it runs. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n', 1)[0]);
  return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined;
}

/** Sends `signal` to the process group of `tracked` (the server and the children it forked). */
export function signal(tracked: Tracked, sig: NodeJS.Signals): void {
  try {
    process.kill(tracked.child ? -tracked.pid : tracked.pid, sig);
  } catch {
    // Already gone.
  }
}

/** Stops a process: SIGTERM, then SIGKILL after `graceMs`. */
export async function stop(tracked: Tracked, graceMs = 10_000): Promise<void> {
  if (!tracked.alive()) return;
  signal(tracked, 'SIGCONT');
  signal(tracked, 'SIGTERM');
  const done = await Promise.race([tracked.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    signal(tracked, 'SIGKILL');
    await Promise.race([tracked.exited, sleep(5_000)]);
  }
  // The group may hold forked children that outlive their parent (a backend, an SST helper).
  if (tracked.child) signal(tracked, 'SIGKILL');
}

/** Kills a process and its group at once, as a crash would. */
export async function kill(tracked: Tracked): Promise<void> {
  signal(tracked, 'SIGKILL');
  await Promise.race([tracked.exited, sleep(5_000)]);
}

/** A temporary directory, removed at the end, owned by the user a server runs as. */
export function tempDir(prefix: string, owner: 'root' | 'postgres' | 'mysql' = 'root'): string {
  const dir = mkdtempSync(join(tmpdir(), `sss-cluster-${prefix}-`));
  if (owner === 'postgres') chownSync(dir, POSTGRES_UID, POSTGRES_GID);
  if (owner === 'mysql') chownSync(dir, MYSQL_UID, MYSQL_GID);
  dirs.add(dir);
  return dir;
}

/** Stops every tracked process (newest first) and removes the temporary directories. */
export async function stopAll(): Promise<void> {
  const all = [...running.values()].reverse();
  await Promise.all(all.map((tracked) => stop(tracked, 8_000)));
  if (!process.env.SSS_CLUSTER_KEEP) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Processes started here that are still alive (none, once stopAll() has run). */
export function remaining(): string[] {
  return [...running.values()].filter((tracked) => tracked.alive()).map((tracked) => `${tracked.name} (${tracked.pid})`);
}

/** Last resort on exit: SIGKILL whatever is still tracked (synchronous, as 'exit' handlers must be). */
function killAllNow(): void {
  for (const tracked of running.values()) {
    try {
      process.kill(tracked.child ? -tracked.pid : tracked.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

let installed = false;
/** Makes sure an interrupted or crashed run leaves no process behind. */
export function installCleanup(): void {
  if (installed) return;
  installed = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping every cluster process`);
      void stopAll().finally(() => process.exit(130));
    });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` resolves true, polling; throws after `timeoutMs` with `what` in the message. */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // Not yet.
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (never 5432 or 3306). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0 }, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    // Galera and pgbouncer derive no other ports from these; still keep clear of the shared servers.
    if (port !== 5432 && port !== 3306 && !used.has(port)) {
      used.add(port);
      return port;
    }
  }
}
const used = new Set<number>();

/** Runs a short command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], options: { asPostgres?: boolean; env?: Record<string, string>; input?: string } = {}): string {
  const result = spawnSync(command, args, {
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: 120_000,
    ...(options.asPostgres ? { uid: POSTGRES_UID, gid: POSTGRES_GID } : {}),
  });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}`);
  }
  return result.stdout;
}
