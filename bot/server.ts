import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HTTPReceiver } from '@slack/bolt';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Metrics } from '../core/metrics.ts';
import { tracing } from '../core/tracing.ts';
import type { Db } from '../db/connect.ts';
import { migrationsApplied } from '../db/migrate.ts';
import type { OnceStore } from '../db/stores/actionKeyStore.ts';
import type { AcksFirst } from '../pipeline/acksFirst.ts';
import type { Notifier } from '../pipeline/notifier.ts';
import { rememberAccessVersion } from './slack/accessVersion.ts';
import { databaseDownAnswer, sendFollowUp } from './slack/databaseDownAnswer.ts';
import {
  type IngressLimits,
  markArrival,
  type Refusal,
  refuseByHeaders,
  UnverifiedBodies,
} from './slack/ingress.ts';
import { checkSlackBody, utf8Text } from './slack/requestBody.ts';
import { verifySignature } from './slack/verify.ts';

/** What the HTTP server takes from the composition root (app/wiring/surfaces.ts builds it). */
export interface ServerDeps {
  /** Readiness: the database answers and every migration is applied. */
  db: Db;
  pool: pg.Pool;
  /** Each Slack delivery recorded once, against replays and a second replica. */
  once: Pick<OnceStore, 'firstDelivery'>;
  /** Tells the person when the database is down and a request cannot be acted on. */
  notifier: Notifier;
  metrics: Metrics;
  /** Acknowledgements before the work behind them: shared with the pipeline. */
  acksFirst: AcksFirst;
}

export interface HttpServerOptions {
  port: number;
  host?: string;
  deps: ServerDeps;
  log: Logger;
  /** HTTP-mode Slack: the receiver and the secret its requests are signed with. */
  slack?: { receiver: HTTPReceiver; signingSecret: string };
  /** The start-up doctor's result, shown in /readyz's body (it does not change the status code). */
  doctor?: () => unknown;
  /** What unverified Slack requests may hold while their bodies are read. */
  ingress?: IngressLimits;
  /** True while dpbot runs its own requests through the path before anyone's: not ready yet. */
  warmingUp?: () => boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** Answers without reading the body, and closes the connection so that it is never read. */
function refuse(res: ServerResponse, refusal: Refusal): void {
  res.setHeader('connection', 'close');
  if (refusal.retryAfter !== undefined) res.setHeader('retry-after', String(refusal.retryAfter));
  json(res, refusal.status, { error: refusal.error });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
};

/**
 * One port for everything: POST /slack/events (HTTP-mode Slack), GET /healthz (the process is
 * up), GET /readyz (the database answers and every migration is applied; the body also carries
 * the start-up doctor's result), GET /metrics
 * (Prometheus).
 */
export async function startHttpServer(options: HttpServerOptions): Promise<RunningServer> {
  const { deps, log, slack } = options;
  const unverified = new UnverifiedBodies(options.ingress);

  const ready = async (): Promise<string | undefined> => {
    if (options.warmingUp?.()) return 'warming up';
    try {
      await deps.db.execute(sql`SELECT 1`);
      if (!(await migrationsApplied(deps.pool))) return 'database migrations are not all applied';
      return undefined;
    } catch (error) {
      log.warn({ err: error }, 'readiness check failed');
      return 'database unreachable';
    }
  };

  const slackEvents = async (
    req: IncomingMessage,
    res: ServerResponse,
    receiver: HTTPReceiver,
    secret: string,
  ) => {
    const early = refuseByHeaders(req);
    if (early) {
      log.warn({ reason: early.error, ip: req.socket.remoteAddress }, 'rejected a Slack request unread');
      refuse(res, early);
      return;
    }
    const read = await unverified.read(req);
    if ('refused' in read) {
      if (read.refused.status === 503)
        log.warn({ ip: req.socket.remoteAddress }, 'rejected a Slack request: too many bodies being read');
      if (!req.destroyed) refuse(res, read.refused);
      return;
    }
    const { body } = read;
    // Checked before the signature, which is over bytes this would have to re-encode.
    const text = utf8Text(body);
    if (text === undefined) {
      json(res, 400, { error: 'the request body is not UTF-8; Slack sends UTF-8' });
      return;
    }
    // Slack's certificate checks are unsigned and carry nothing to act on.
    if (/^ssl_check=1(&|$)/.test(text)) {
      res.writeHead(200).end();
      return;
    }
    const verified = tracing().spanSync('verify', {}, () =>
      verifySignature({
        signingSecret: secret,
        rawBody: text,
        signature: header(req, 'x-slack-signature'),
        timestamp: header(req, 'x-slack-request-timestamp'),
      }),
    );
    if (!verified.ok) {
      log.warn({ reason: verified.reason, ip: req.socket.remoteAddress }, 'rejected a Slack request');
      json(res, 401, { error: verified.reason });
      return;
    }
    const checked = checkSlackBody(header(req, 'content-type'), text);
    if (!checked.ok) {
      log.warn(
        { reason: checked.reason, ip: req.socket.remoteAddress },
        'rejected a malformed Slack request',
      );
      json(res, 400, { error: checked.reason });
      return;
    }
    let delivery: Awaited<ReturnType<typeof deps.once.firstDelivery>>;
    try {
      delivery = await deps.once.firstDelivery(verified.signature);
    } catch (error) {
      // Nothing can be recorded, so nothing is done; the person is told so, as Slack shows it.
      log.error({ err: error }, 'the database is unreachable; a Slack request was answered and not acted on');
      const answer = databaseDownAnswer(header(req, 'content-type'), text);
      if (answer.body === undefined) res.writeHead(answer.status).end();
      else json(res, answer.status, answer.body);
      if (answer.followUp) await sendFollowUp(answer.followUp, { notifier: deps.notifier, log });
      return;
    }
    if (!delivery.first) {
      log.warn({ ip: req.socket.remoteAddress }, 'rejected a replayed Slack request');
      json(res, 401, { error: 'replayed request' });
      return;
    }
    rememberAccessVersion(req, delivery.accessVersion);
    // Bolt reads the body from here instead of the consumed stream (and does not verify it again).
    (req as IncomingMessage & { rawBody: Buffer }).rawBody = body;
    receiver.requestListener(req, res);
  };

  /** What the server answers, by `METHOD path`; anything else is a 404 with no route on its span. */
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void>([
    ['GET /healthz', (_req, res) => json(res, 200, { status: 'ok' })],
    [
      'GET /readyz',
      async (_req, res) => {
        const problem = await ready();
        // Only the database decides readiness: a missing permission elsewhere breaks one command,
        // and taking every replica out of service for it would break all of them.
        const doctor = options.doctor ? { doctor: options.doctor() } : {};
        return problem
          ? json(res, 503, { status: 'not ready', reason: problem, ...doctor })
          : json(res, 200, { status: 'ready', ...doctor });
      },
    ],
    [
      'GET /metrics',
      async (_req, res) => {
        const { registry } = deps.metrics;
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(await registry.metrics());
      },
    ],
  ]);
  if (slack)
    routes.set('POST /slack/events', (req, res) => {
      markArrival(req);
      // Work behind earlier acknowledgements waits while this one is answered.
      res.once('close', deps.acksFirst.arrived());
      return slackEvents(req, res, slack.receiver, slack.signingSecret);
    });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = `${req.method} ${path}`;
    const answer = routes.get(route);
    void tracing().serving(req, res, answer ? path : undefined, async () => {
      try {
        await (answer ? answer(req, res) : json(res, 404, { error: 'not found' }));
      } catch (error) {
        log.error({ err: error, route }, 'HTTP request failed');
        if (!res.headersSent) json(res, 500, { error: 'internal error' });
        else res.end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '0.0.0.0';
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
