// A small TCP proxy for fault tests: it forwards 127.0.0.1:<port> to a real database server, and
// the test can cut it (`stop()`: every socket destroyed, the listener closed, so new connections are
// refused), bring it back on the SAME port (`start()`), or make it hang (`hang()`: connections are
// accepted and kept open, but no byte goes through in either direction, on new and existing ones).
import net from 'node:net';

export class TcpProxy {
  readonly #targetHost: string;
  readonly #targetPort: number;
  readonly #sockets = new Set<net.Socket>();
  #server: net.Server | undefined;
  #port = 0;
  #hanging: boolean;
  /** Connections accepted so far (a test can check that traffic really went through the proxy). */
  accepted = 0;
  /** Client connections open now: a client that closed its socket is no longer counted. */
  open = 0;

  constructor(targetPort: number, options: { targetHost?: string; hanging?: boolean } = {}) {
    this.#targetHost = options.targetHost ?? '127.0.0.1';
    this.#targetPort = targetPort;
    this.#hanging = options.hanging ?? false;
  }

  /** The port the proxy listens on (fixed after the first start). */
  get port(): number {
    return this.#port;
  }

  /** Starts listening: on a free port the first time, on the same port afterwards. */
  async start(): Promise<void> {
    if (this.#server) return;
    const server = net.createServer((client) => this.#accept(client));
    // A listener error must not crash the test process.
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.#port, host: '127.0.0.1', exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as net.AddressInfo).port;
    this.#server = server;
  }

  /** Cuts the database away: destroys every socket and closes the listener. */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** From now on no byte is forwarded (on existing connections too); connections stay open. */
  hang(): void {
    this.#hanging = true;
  }

  /** Forwards bytes again (for connections accepted from now on and those still open). */
  resume(): void {
    this.#hanging = false;
  }

  #track(socket: net.Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.#sockets.delete(socket));
  }

  #accept(client: net.Socket): void {
    this.accepted++;
    this.open++;
    client.once('close', () => this.open--);
    this.#track(client);
    const upstream = net.connect({ host: this.#targetHost, port: this.#targetPort });
    this.#track(upstream);
    // Manual forwarding rather than pipe(), so that hang() also freezes established connections.
    client.on('data', (chunk) => {
      if (!this.#hanging) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!this.#hanging) client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

/** Resolves with the promise's outcome, or after `ms` with 'timeout' (for cleanup that must not hang a test). */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
      timer.unref();
    }),
  ]);
}
