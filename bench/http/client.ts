/** Load on the child apps: autocannon for /write and /read; a page-load driver; login helpers. */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import type { Db } from '../lib/config.js';

 
const autocannon = require('autocannon') as (options: unknown) => Promise<Record<string, number>>;

export interface AppSpec {
  contender: string;
  db: Db;
  table: string;
  touchAfter: number;
}

export interface App {
  port: number;
  statements(): Promise<number>;
}

export interface Apps {
  apps: App[];
  close(): Promise<void>;
}

/** Starts the apps in one child process; statement counts are asked one at a time. */
export function startApps(specs: AppSpec[]): Promise<Apps> {
  const child: ChildProcess = fork(join(__dirname, 'server.ts'), [JSON.stringify(specs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the bench apps did not start')), 60_000);
    const onExit = (code: number | null) => reject(new Error(`the bench apps exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (message: { ports: number[] }) => {
      clearTimeout(timer);
      const apps = message.ports.map((port, index) => ({
        port,
        statements: () =>
          new Promise<number>((ok) => {
            child.once('message', (reply: { statements: number }) => ok(reply.statements));
            child.send({ cmd: 'stats', index });
          }),
      }));
      resolve({
        apps,
        close: () =>
          new Promise<void>((done) => {
            const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.off('exit', onExit);
            child.once('exit', () => {
              clearTimeout(kill);
              done();
            });
            child.send({ cmd: 'close' });
          }),
      });
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function request(port: number, path: string, cookie?: string): Promise<{ status: number; setCookie?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: cookie ? { cookie } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: res.headers['set-cookie']?.[0]?.split(';')[0] }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Logs `n` users in; resolves to their cookies. */
export async function login(port: number, n: number): Promise<string[]> {
  const cookies: string[] = [];
  for (let i = 0; i < n; i += 16) {
    const batch = await Promise.all(Array.from({ length: Math.min(16, n - i) }, () => request(port, '/login')));
    for (const { status, setCookie } of batch) {
      if (status !== 200 || !setCookie) throw new Error(`login failed (${status})`);
      cookies.push(setCookie);
    }
  }
  return cookies;
}

export interface LoadResult {
  /** Successful requests (or page loads) per second. */
  rate: number;
  requests: number;
  failures: number;
}

/** autocannon on one route, 32 connections, spreading the users' cookies over the requests. */
export async function cannon(port: number, path: string, cookies: readonly string[], limit: { duration?: number }): Promise<LoadResult> {
  let k = 0;
  const duration = limit.duration ?? 2;
  const start = performance.now();
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: 32,
    duration,
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (req: any) => ({ ...req, headers: { ...req.headers, cookie: cookies[k++ % cookies.length] } }),
      },
    ],
  } as never);
  // autocannon stops sending at `duration` but may settle later (on its 1 s sampling tick): rate over the window.
  void start;
  const ok = result['2xx'] ?? 0;
  return { rate: ok / duration, requests: ok, failures: (result.non2xx ?? 0) + (result.errors ?? 0) + (result.timeouts ?? 0) };
}

/**
 * Page loads: each user fetches /page, then 20 assets in parallel with the same cookie, and again.
 * Rate: page loads per second (each is 21 requests).
 */
export async function pageLoads(port: number, cookies: readonly string[], limit: { duration?: number; pages?: number }): Promise<LoadResult> {
  let pages = 0;
  let failures = 0;
  const deadline = limit.duration ? performance.now() + limit.duration * 1000 : Number.POSITIVE_INFINITY;
  const perUser = limit.pages ? Math.ceil(limit.pages / cookies.length) : Number.POSITIVE_INFINITY;
  const start = performance.now();
  await Promise.all(
    cookies.map(async (cookie) => {
      for (let done = 0; done < perUser && performance.now() < deadline; done++) {
        const page = await request(port, '/page', cookie);
        const assets = await Promise.all(Array.from({ length: 20 }, (_, i) => request(port, `/asset/${i}`, cookie)));
        failures += [page, ...assets].filter((r) => r.status !== 200).length;
        pages++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return { rate: pages / seconds, requests: pages * 21, failures };
}
