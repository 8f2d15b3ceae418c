import type { AddressInfo } from 'node:net';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** PostgreSQL's ReadyForQuery ('Z', length 5): the end of its answer to what was sent. */
const READY_FOR_QUERY = Buffer.from([0x5a, 0, 0, 0, 5]);

/**
 * A loopback TCP proxy to a server (PostgreSQL) that a test can cut and restore, to see what
 * dpbot does when its database goes away and comes back; the benchmarks count round trips with it.
 */
export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #down = false;
  #cutAfter: ((sent: Buffer) => boolean) | undefined;
  #loseAnswer: { sent: (chunk: Buffer) => boolean; thenDown: boolean; lost: () => void } | undefined;
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
      const tap = this.#tap?.();
      let answering = false;
      let losing: { thenDown: boolean; lost: () => void } | undefined;
      client.on('data', (chunk: Buffer) => {
        tap?.(chunk);
        if (this.#loseAnswer?.sent(chunk)) {
          losing = this.#loseAnswer;
          this.#loseAnswer = undefined;
        }
        if (this.#cutAfter?.(chunk)) {
          this.#cutAfter = undefined;
          answering = true;
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (losing) {
          // The answer is held back until it is complete (the statement committed), then the
          // connection drops with none of it relayed.
          if (chunk.includes(READY_FOR_QUERY)) {
            if (losing.thenDown) this.cut();
            else drop();
            losing.lost();
          }
          return;
        }
        client.write(chunk);
        // PostgreSQL's ReadyForQuery ('Z', length 5) ends its answer to what was sent.
        if (answering && chunk.includes(READY_FOR_QUERY)) {
          answering = false;
          client.once('drain', () => this.cut());
          if (client.writableLength === 0) this.cut();
        }
      });
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

  /**
   * Cuts the database away right after it has answered the first message matching `sent`: the
   * statement went through and its caller heard so, and then the database is gone.
   */
  cutAfter(sent: (chunk: Buffer) => boolean): void {
    this.#cutAfter = sent;
  }

  /**
   * Forwards the first message matching `sent` to the database, lets it answer in full (an
   * autocommitted statement is then committed) and drops the connection without relaying any of
   * that answer: the client cannot know its statement went through. With `thenDown`, the
   * database also stays away (as `cut`); otherwise new connections reach it at once. Resolves
   * once an answer was lost, so a test knows its fault happened.
   */
  loseAnswerTo(sent: (chunk: Buffer) => boolean, options: { thenDown?: boolean } = {}): Promise<void> {
    return new Promise((lost) => {
      this.#loseAnswer = { sent, thenDown: options.thenDown ?? false, lost };
    });
  }

  restore(): void {
    this.#down = false;
  }

  /** A started proxy in front of the database at `url`, and the URL that reaches it through it. */
  static async forDatabase(url: string): Promise<{ proxy: TcpProxy; url: string }> {
    const target = new URL(url);
    const proxy = new TcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const via = new URL(url);
    via.hostname = '127.0.0.1';
    via.port = String(await proxy.start());
    return { proxy, url: via.toString() };
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}
