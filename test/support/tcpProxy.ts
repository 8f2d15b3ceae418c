import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy to a server (PostgreSQL) that a test can cut and restore, to see what
 * dpbot does when its database goes away and comes back; the benchmarks count round trips with it.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #down = false;
  port = 0;

  /** Given a reader per connection, called with every chunk the client sends (to count them). */
  readonly #tap: (() => (chunk: Buffer) => void) | undefined;

  constructor(target: { host: string; port: number }, options: { tap?: () => (chunk: Buffer) => void } = {}) {
    this.#target = target;
    this.#tap = options.tap;
  }

  async start(): Promise<number> {
    const server = createServer((client) => {
      if (this.#down) {
        client.destroy();
        return;
      }
      const upstream = createConnection(this.#target);
      this.#sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.#sockets.delete(client);
        this.#sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      if (this.#tap) client.on('data', this.#tap());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.#server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and refuses new ones, as a database that went away. */
  cut(): void {
    this.#down = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  restore(): void {
    this.#down = false;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
