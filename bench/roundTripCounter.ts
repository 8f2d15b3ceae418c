import { TcpProxy } from '../test/support/tcpProxy.ts';

/**
 * A loopback proxy in front of PostgreSQL that counts the round trips its clients make: every
 * Sync (the end of one extended-protocol query, which is how node-postgres sends a parameterised
 * statement) and every simple Query message. It counts what the database is asked, whatever the
 * code that asks, so the same figure can be taken of any version of dpbot. Counted per
 * connection's application_name, so the job queue's polling (pg-boss, `dpbot-jobs`) can be told
 * apart from the requests' own statements.
 */
export class RoundTripCounter {
  readonly #proxy: TcpProxy;
  /** Round trips since start (or the last `take()`), by application_name ('' when none is set). */
  readonly #counts = new Map<string, number>();

  constructor(target: { host: string; port: number }) {
    this.#proxy = new TcpProxy(target, { tap: () => this.#reader() });
  }

  /** Starts listening; returns `url` pointed at the proxy. */
  async start(url: string): Promise<string> {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await this.#proxy.start());
    return proxied.toString();
  }

  /** Round trips so far of connections whose application_name passes `which`; then starts again from 0. */
  take(which: (applicationName: string) => boolean): number {
    let n = 0;
    for (const [name, count] of this.#counts) if (which(name)) n += count;
    this.#counts.clear();
    return n;
  }

  stop(): Promise<void> {
    return this.#proxy.stop();
  }

  /**
   * Frames the client's side of one connection: the startup message has no type byte (nor has
   * an SSL or GSS request before it), every later message is a type byte and a 4-byte length.
   */
  #reader(): (chunk: Buffer) => void {
    let pending: Buffer = Buffer.alloc(0);
    let started = false;
    let app = '';
    return (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (!started) {
          if (pending.length < 8) return;
          const length = pending.readInt32BE(0);
          if (pending.length < length) return;
          const code = pending.readInt32BE(4);
          // 80877103: SSLRequest, 80877104: GSSENCRequest; the real startup message follows them.
          if (code !== 80877103 && code !== 80877104) {
            started = true;
            // Parameters: NUL-terminated name and value pairs after the protocol version.
            const params = pending.subarray(8, length).toString('utf8').split('\0');
            const at = params.indexOf('application_name');
            if (at !== -1 && at % 2 === 0) app = params[at + 1] ?? '';
          }
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) return;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) return;
        const type = String.fromCharCode(pending[0] ?? 0);
        if (type === 'S' || type === 'Q') this.#counts.set(app, (this.#counts.get(app) ?? 0) + 1);
        pending = pending.subarray(1 + length);
      }
    };
  }
}
