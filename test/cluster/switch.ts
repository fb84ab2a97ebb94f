// A virtual IP for the manual failover: apps connect to this port, which forwards to the current
// primary; `point()` moves it to another server and drops every connection to the old one.
import net from 'node:net';

export class Switch {
  #target: number;
  readonly #sockets = new Set<net.Socket>();
  readonly #server = net.createServer((client) => this.#accept(client));
  port = 0;

  constructor(target: number) {
    this.#target = target;
    this.#server.on('error', () => {});
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    this.port = (this.#server.address() as net.AddressInfo).port;
  }

  point(target: number): void {
    this.#target = target;
    for (const socket of this.#sockets) socket.destroy();
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.#target });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('error', () => socket.destroy());
      socket.on('close', () => {
        this.#sockets.delete(socket);
        (socket === client ? upstream : client).destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
