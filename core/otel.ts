import {
  type Attributes,
  context,
  isSpanContextValid,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { NodeSDK } from '@opentelemetry/sdk-node';
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
      // Node's http and https: Slack's Web API (axios), the Kubernetes client, and the server's
      // incoming requests, whose span is the root of a Slack request's trace.
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) =>
          UNTRACED_PATHS.has((req.url ?? '/').split('?')[0] ?? '/') ||
          req.headers[WARM_UP_HEADER] !== undefined,
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
