import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SimRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  headers: IncomingMessage['headers'];
  /** Parsed JSON, form fields (as an object), or undefined. */
  body: unknown;
  rawBody: string;
}

export interface SimResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send this text as is instead of JSON (streams such as Argo's log lines). */
  text?: string;
}

export type Handler = (req: SimRequest) => SimResponse | Promise<SimResponse>;

export interface Route {
  method: string;
  /** `/apis/apps/v1/namespaces/:namespace/deployments/:name/scale` */
  pattern: string;
  handler: Handler;
}

/** A fault injected into matching requests: an error status, a delay (a timeout), or both. */
export interface Fault {
  method?: string;
  path?: RegExp;
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /**
   * The request is carried out at once and only its answer is held for `delayMs`: a server that
   * did the work but answered too late (without it, the delay comes before the work).
   */
  late?: boolean;
  /** How many matching requests it affects; then it is gone. */
  times: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  headers: IncomingMessage['headers'];
  /** The client's port: requests on one kept-alive connection share it. */
  remotePort: number | undefined;
  /**
   * When its body had arrived (`performance.now()` of this process, a monotonic clock): benchmarks
   * time requests by it, and rate checks compare requests' times with each other.
   */
  at: number;
}

/** One request with the answer the simulator gave, for contract tests to hold to a published spec. */
export interface SimExchange {
  method: string;
  path: string;
  /** The query string, `?` included (empty when none). */
  query: string;
  body: unknown;
  /** The request's Content-Type, as sent (undefined when it had none). */
  contentType?: string;
  /** Whether the request carried an Authorization header (Slack's `token` argument travels there). */
  authorized?: boolean;
  status: number;
  /** The JSON answer as the client read it (undefined when it was empty or text). */
  responseBody: unknown;
  /** A text answer as sent (log streams). */
  responseText?: string;
  /** The answer was a fault a test injected (`inject()`), not one the simulator's rules gave. */
  injected?: boolean;
}

/** Where every simulator of the process hands each exchange, by the simulator's name. */
export type ExchangeRecorder = (simulator: string, exchange: SimExchange) => void;

/** What an exchange knows before the answer. */
type ExchangeRequest = Omit<SimExchange, 'status' | 'responseBody' | 'responseText' | 'injected'>;

const MAX_BODY = 5 * 1024 * 1024;

function compile(pattern: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const body = pattern
    .split('/')
    .map((part) => {
      if (part.startsWith(':')) {
        names.push(part.slice(1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { re: new RegExp(`^${body}$`), names };
}

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(raw));
  }
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * A loopback HTTP server speaking an external API's JSON, for tests and the sandbox. It binds to
 * 127.0.0.1 only, records every request, and can be told to fail (errors, 429s, slowness) a
 * bounded number of times.
 */
export class Simulator {
  readonly name: string;
  readonly requests: RecordedRequest[] = [];
  /** Delay before every answer, as a network and a remote server add (the benchmarks set it). */
  latencyMs = 0;
  readonly #routes: { method: string; pattern: string; re: RegExp; names: string[]; handler: Handler }[] = [];
  readonly #faults: Fault[] = [];
  /**
   * When set, every simulator of this process hands it each request with its answer: the test
   * set-up sets it so that the contract checkers judge every exchange of the suite. Unset (the
   * long-running sandbox), nothing is kept.
   */
  static recorder: ExchangeRecorder | undefined;
  /** Set by recordExchanges(): kept only when asked for, so the long-running sandbox keeps none. */
  #exchanges: SimExchange[] | undefined;
  #server: Server | undefined;
  #url: string | undefined;

  constructor(name: string, routes: readonly Route[] = []) {
    this.name = name;
    for (const route of routes) this.route(route.method, route.pattern, route.handler);
  }

  route(method: string, pattern: string, handler: Handler): this {
    this.#routes.push({ method: method.toUpperCase(), pattern, ...compile(pattern), handler });
    return this;
  }

  /** Makes the next `times` matching requests fail or stall. */
  inject(fault: Fault): this {
    this.#faults.push({ ...fault });
    return this;
  }

  /** How many requests arrived, by `METHOD /path` with each path parameter replaced by its name. */
  countByRoute(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of this.requests) {
      const route = this.#routes.find((x) => x.method === r.method && x.re.test(r.path));
      const key = route ? `${r.method} ${route.pattern}` : `${r.method} ${r.path}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** From now on, keeps every request with its answer in the array returned. */
  recordExchanges(): SimExchange[] {
    this.#exchanges ??= [];
    return this.#exchanges;
  }

  get url(): string {
    if (!this.#url) throw new Error(`the ${this.name} simulator is not started`);
    return this.#url;
  }

  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: String(error) }));
      });
    });
    // Long enough that clients keep connections (undici closes any whose Keep-Alive timeout is
    // under its 2 s margin, so 1 s would mean a new connection per request); stop() closes them.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const { port: bound } = server.address() as AddressInfo;
    this.#url = `http://127.0.0.1:${bound}`;
    return this.#url;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        return;
      }
      chunks.push(chunk as Buffer);
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const body = parseBody(rawBody, req.headers['content-type']);
    this.requests.push({
      method,
      path: url.pathname,
      query: url.search,
      body,
      headers: req.headers,
      remotePort: req.socket.remotePort,
      at: performance.now(),
    });
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));

    const contentType = req.headers['content-type'];
    const exchange: ExchangeRequest = {
      method,
      path: url.pathname,
      query: url.search,
      body,
      ...(contentType === undefined ? {} : { contentType }),
      authorized: req.headers.authorization !== undefined,
    };

    const faultIndex = this.#faults.findIndex(
      (f) => (!f.method || f.method.toUpperCase() === method) && (!f.path || f.path.test(url.pathname)),
    );
    let holdAnswerMs = 0;
    if (faultIndex !== -1) {
      const fault = this.#faults[faultIndex] as Fault;
      fault.times--;
      if (fault.times <= 0) this.#faults.splice(faultIndex, 1);
      if (fault.late) holdAnswerMs = fault.delayMs ?? 0;
      else if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.status !== undefined) {
        if (holdAnswerMs) await new Promise((r) => setTimeout(r, holdAnswerMs));
        this.#send(
          res,
          exchange,
          {
            status: fault.status,
            body: fault.body ?? { message: `injected ${fault.status}` },
            ...(fault.headers ? { headers: fault.headers } : {}),
          },
          true,
        );
        return;
      }
    }

    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const match = route.re.exec(url.pathname);
      if (!match) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1] ?? '');
      });
      const response = await route.handler({
        method,
        path: url.pathname,
        query: url.searchParams,
        params,
        headers: req.headers,
        body,
        rawBody,
      });
      if (holdAnswerMs) await new Promise((r) => setTimeout(r, holdAnswerMs));
      this.#send(res, exchange, response);
      return;
    }
    this.#send(res, exchange, {
      status: 404,
      body: { message: `${this.name} simulator: no route for ${method} ${url.pathname}` },
    });
  }

  #send(res: ServerResponse, request: ExchangeRequest, response: SimResponse, injected = false): void {
    if (res.destroyed) return;
    const status = response.status ?? 200;
    const json =
      response.text === undefined && response.body !== undefined ? JSON.stringify(response.body) : '';
    if (this.#exchanges || Simulator.recorder) {
      const exchange: SimExchange = {
        ...request,
        status,
        // Read back from what goes on the wire: what the client sees (no undefined fields, dates as text).
        responseBody: json === '' ? undefined : JSON.parse(json),
        ...(response.text === undefined ? {} : { responseText: response.text }),
        ...(injected ? { injected } : {}),
      };
      this.#exchanges?.push(exchange);
      Simulator.recorder?.(this.name, exchange);
    }
    if (response.text !== undefined) {
      res.writeHead(status, { 'content-type': 'text/plain', ...response.headers });
      res.end(response.text);
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...response.headers });
    res.end(json);
  }
}
