// The orchestrator's side of the app processes (app.ts): forks them, sends commands, collects their
// errors, and sums figures per Sequelize major.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { AppConfig, Command, ErrorRecord } from './app.js';

const apps = new Set<App>();

export class App {
  readonly config: AppConfig;
  readonly errors: ErrorRecord[] = [];
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>();
  #seq = 0;

  constructor(config: AppConfig) {
    this.config = config;
    this.#child = fork(join(__dirname, 'app.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('error', () => {});
    this.#child.on('message', (message: { seq: number; reply?: unknown; errors?: ErrorRecord[]; fatal?: string }) => {
      this.errors.push(...(message.errors ?? []));
      const pending = this.#pending.get(message.seq);
      this.#pending.delete(message.seq);
      if (message.fatal) pending?.reject(new Error(`app ${config.id}: ${message.fatal}`));
      else pending?.resolve(message.reply);
    });
    apps.add(this);
    this.#child.on('exit', () => {
      apps.delete(this);
      for (const { reject } of this.#pending.values()) reject(new Error(`app ${config.id} exited`));
      this.#pending.clear();
    });
  }

  get major(): 'v6' | 'v7' {
    return this.config.major;
  }

  #send(message: object, timeoutMs: number): Promise<any> {
    const seq = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq);
        reject(new Error(`app ${this.config.id}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(seq, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.#child.send({ seq, ...message });
    });
  }

  start(): Promise<void> {
    return this.#send({ config: this.config }, 60_000);
  }

  do<T = any>(command: Command, timeoutMs = 120_000): Promise<T> {
    return this.#send({ command }, timeoutMs);
  }

  async exit(): Promise<void> {
    if (this.#child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    await this.do({ cmd: 'exit' }, 15_000).catch(() => {});
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (this.#child.exitCode === null) this.#child.kill('SIGKILL');
  }
}

/** Starts `count` apps alternating v6 and v7, ready (connected lazily: nothing has run yet). */
export async function startApps(count: number, make: (i: number, major: 'v6' | 'v7') => AppConfig): Promise<App[]> {
  const started = Array.from({ length: count }, (_, i) => new App(make(i, i % 2 === 0 ? 'v6' : 'v7')));
  await Promise.all(started.map((app) => app.start()));
  return started;
}

export async function exitApps(list: App[]): Promise<void> {
  await Promise.all(list.map((app) => app.exit()));
}

/** Every app process still running, whatever happened to the scenario that started it. */
export async function exitAllApps(): Promise<void> {
  await exitApps([...apps]);
}
