import type { IncomingMessage } from 'node:http';
import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PEER_ADDRESS,
  ATTR_NETWORK_PEER_PORT,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { register as registerEsmHooks } from 'import-in-the-middle/register-hooks.mjs';
import { type SpanAttributes, type SpanHandle, type Tracing, useTracing, WARM_UP_HEADER } from './tracing.ts';

/** Requests that are not work: probes and scrapes, every few seconds, would bury the traces. */
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Starts the OpenTelemetry SDK from the standard OTEL_* variables (exporter, endpoint, protocol,
 * headers, sampler, resource) and makes it dpbot's tracing. Must run before pg, Node's http and
 * the Slack, Kubernetes and GitHub clients are imported: bin/dpbot.ts imports this first, and
 * everything else after it.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env): Tracing {
  // dpbot's metrics are Prometheus's (/metrics) and its logs go to stderr: the SDK exports only
  // traces unless told otherwise.
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  if (!env.OTEL_SERVICE_NAME && !/(^|,)\s*service\.name=/.test(env.OTEL_RESOURCE_ATTRIBUTES ?? ''))
    env.OTEL_SERVICE_NAME = 'dpbot';
  // dpbot is ECMAScript modules, which require-in-the-middle never sees: pg (imported as `pg`)
  // is patched through import-in-the-middle's in-thread loader hooks (module.registerHooks). Only
  // the modules named here are wrapped; everything else loads as it would without tracing.
  registerEsmHooks({ include: ['pg', 'pg-pool', 'node:http', 'node:https', 'http', 'https'] });
  const sdk = new NodeSDK({
    instrumentations: [
      // Node's http and https as a client: Slack's Web API (axios). The requests dpbot serves get
      // their span from `serving` below instead: the instrumentation's server side binds every
      // listener of each request and response to its context and reads attributes dpbot does not
      // need, for every request, sampled or not: it was about a fifth of the CPU tracing added to
      // an acknowledgement (bench/RESULTS.md, "Tracing").
      new HttpInstrumentation({
        disableIncomingRequestInstrumentation: true,
        // Calls outside any request or job (start-up checks) are not worth a trace each.
        requireParentforOutgoingSpans: true,
      }),
      // fetch (Node's undici): GitHub (Octokit), Argo, Argo CD, Jira, the directory.
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Every query of a request or a job; pg-boss's polling between jobs is not traced.
      // Taking a pooled connection is not a span of its own: a query's span shows the wait.
      new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true }),
    ],
  });
  sdk.start();
  const tracer = trace.getTracer('dpbot');
  // Under a parent-based sampler (the SDK's default, and every `parentbased_*` one) a span whose
  // parent is not recorded is not recorded either: in a request that was not sampled, dpbot's own
  // spans are not started at all, and their work runs in the parent's context, which carries the
  // same trace id (for log lines and audit rows). Other samplers decide span by span.
  const parentDecides = (env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on').startsWith(
    'parentbased_',
  );
  const unsampled = (): boolean => {
    if (!parentDecides) return false;
    const active = trace.getActiveSpan();
    return active !== undefined && !active.isRecording();
  };
  const tracingNow: Tracing = {
    on: true,
    // The span's attributes are set once it is known to be recording: most requests are not
    // sampled where traffic is heavy, and an unsampled span would only drop them. (No sampler the
    // OTEL_* variables name looks at attributes.)
    span: (name, attributes, work) =>
      unsampled()
        ? work(unrecorded)
        : tracer.startActiveSpan(name, (span) => run(span, () => work(handle(span, attributes)))),
    serving: (req, res, route, work) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (UNTRACED_PATHS.has(path) || req.headers[WARM_UP_HEADER] !== undefined)
        return context.with(suppressTracing(context.active()), work);
      const parent = propagation.extract(ROOT_CONTEXT, req.headers);
      const span = tracer.startSpan(
        route ? `${req.method} ${route}` : (req.method ?? 'GET'),
        { kind: SpanKind.SERVER },
        parent,
      );
      // As dpbot's own spans: attributes only for a span that is kept.
      if (span.isRecording()) span.setAttributes(serverAttributes(req, path, route));
      res.once('close', () => {
        const status = res.statusCode;
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
        // A 4xx is the caller's mistake, not the server's (OpenTelemetry's HTTP conventions).
        if (status >= 500) {
          span.setAttribute(ATTR_ERROR_TYPE, String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (!res.writableFinished) {
          // Closed before the answer was sent: the client went away.
          span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
        }
        span.end();
      });
      return context.with(trace.setSpan(parent, span), work);
    },
    spanSync: (name, attributes, work) =>
      unsampled()
        ? work(unrecorded)
        : tracer.startActiveSpan(name, (span) => {
            try {
              return work(handle(span, attributes));
            } catch (error) {
              failed(span, error);
              throw error;
            } finally {
              span.end();
            }
          }),
    linked: (name, from, attributes, work) => {
      const origin = from ? parseTraceparent(from) : undefined;
      const links: Link[] = origin ? [{ context: origin }] : [];
      return tracer.startActiveSpan(
        name,
        { root: true, kind: SpanKind.CONSUMER, links, attributes: attrs(attributes) },
        ROOT_CONTEXT,
        (span) => run(span, work),
      );
    },
    traceparent: () => {
      const active = trace.getSpanContext(context.active());
      if (!active || !isSpanContextValid(active)) return undefined;
      return `00-${active.traceId}-${active.spanId}-${(active.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0')}`;
    },
    traceId: () => {
      const active = trace.getSpanContext(context.active());
      return active && isSpanContextValid(active) ? active.traceId : undefined;
    },
    shutdown: () => sdk.shutdown(),
  };
  useTracing(tracingNow);
  return tracingNow;
}

async function run<T>(span: Span, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

function failed(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

function attrs(attributes: SpanAttributes): Attributes {
  const out: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** OpenTelemetry's stable HTTP server attributes, those that cost nothing to know. */
function serverAttributes(req: IncomingMessage, path: string, route: string | undefined): Attributes {
  const [, host, port] = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(req.headers.host ?? '') ?? [];
  const out: Attributes = {
    [ATTR_HTTP_REQUEST_METHOD]: req.method ?? 'GET',
    [ATTR_URL_PATH]: path,
    [ATTR_URL_SCHEME]: 'http',
    [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
  };
  if (route) out[ATTR_HTTP_ROUTE] = route;
  if (host) out[ATTR_SERVER_ADDRESS] = host;
  if (port) out[ATTR_SERVER_PORT] = Number(port);
  const peer = req.socket.remoteAddress;
  if (peer) {
    out[ATTR_NETWORK_PEER_ADDRESS] = peer;
    out[ATTR_NETWORK_PEER_PORT] = req.socket.remotePort ?? 0;
    // Slack's requests reach dpbot through an ingress: the first X-Forwarded-For is Slack's.
    const forwarded = req.headers['x-forwarded-for'];
    out[ATTR_CLIENT_ADDRESS] = (typeof forwarded === 'string' && forwarded.split(',')[0]?.trim()) || peer;
  }
  const agent = req.headers['user-agent'];
  if (agent) out[ATTR_USER_AGENT_ORIGINAL] = agent;
  return out;
}

const unrecorded: SpanHandle = { set() {}, rename() {} };

function handle(span: Span, attributes: SpanAttributes): SpanHandle {
  if (!span.isRecording()) return unrecorded;
  span.setAttributes(attrs(attributes));
  return {
    set: (more) => span.setAttributes(attrs(more)),
    rename: (name) => span.updateName(name),
  };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A W3C traceparent (version 00) as a span context; undefined when it is not one. */
function parseTraceparent(value: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(value);
  if (!m) return undefined;
  const parsed = {
    traceId: m[1] as string,
    spanId: m[2] as string,
    traceFlags: Number.parseInt(m[3] as string, 16),
    isRemote: true,
  };
  return isSpanContextValid(parsed) ? parsed : undefined;
}
