import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * Marks the requests dpbot sends itself at start to warm its request path: they are no one's
 * work, and ten traces at every start would only bury the first real one.
 */
export const WARM_UP_HEADER = 'x-dpbot-warm-up';

/**
 * What dpbot's own code asks of tracing. Without OpenTelemetry configuration (see `tracingWanted`)
 * this is all there is: the calls below run their work and record nothing, and no OpenTelemetry
 * module is ever loaded. With it, bin/dpbot.ts loads core/otel.ts first, which puts the real
 * implementation in place before anything that traces is imported.
 */
export interface Tracing {
  /** Whether spans are recorded at all (callers skip wrapping their work when not). */
  readonly on: boolean;
  /**
   * Runs `work` in a span named `name`, a child of the active span; ends it when `work` settles
   * and marks it failed when `work` throws.
   */
  span<T>(name: string, attributes: SpanAttributes, work: (span: SpanHandle) => Promise<T>): Promise<T>;
  /** The same for work that does not wait. */
  spanSync<T>(name: string, attributes: SpanAttributes, work: (span: SpanHandle) => T): T;
  /**
   * Runs `work`, dpbot's answer to one HTTP request it serves, as the root of that request's trace:
   * a server span (under the caller's trace when a proxy sent a W3C `traceparent`), ended when the
   * response closes. `route` is the route the path matched, if any. Probes, scrapes and the
   * requests a start sends itself run untraced.
   */
  serving<T>(
    req: IncomingMessage,
    res: ServerResponse,
    route: string | undefined,
    work: () => Promise<T>,
  ): Promise<T>;
  /**
   * Runs `work` as a trace of its own (a job run), linked to the trace `from` (a W3C
   * `traceparent`) when given, so the run leads back to the request that queued it.
   */
  linked<T>(
    name: string,
    from: string | undefined,
    attributes: SpanAttributes,
    work: () => Promise<T>,
  ): Promise<T>;
  /** The active span as a W3C `traceparent`, to carry in a job's data; undefined when none is. */
  traceparent(): string | undefined;
  /** The active trace's id: written on log lines and audit rows. */
  traceId(): string | undefined;
  /** Sends the spans still buffered and stops (before the process exits). */
  shutdown(): Promise<void>;
}

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanHandle {
  set(attributes: SpanAttributes): void;
  rename(name: string): void;
}

const nothing: SpanHandle = { set() {}, rename() {} };

const off: Tracing = {
  on: false,
  span: (_name, _attributes, work) => work(nothing),
  serving: (_req, _res, _route, work) => work(),
  spanSync: (_name, _attributes, work) => work(nothing),
  linked: (_name, _from, _attributes, work) => work(),
  traceparent: () => undefined,
  traceId: () => undefined,
  shutdown: async () => {},
};

let current: Tracing = off;

/** The tracing in use (recording nothing unless core/otel.ts started it). */
export const tracing = (): Tracing => current;

/** Called once by core/otel.ts when it has started the SDK. */
export function useTracing(implementation: Tracing): void {
  current = implementation;
}

/** The data key a job's trace context travels under (pipeline/jobs.ts). */
export const TRACEPARENT_KEY = 'traceparent';

/**
 * Whether the standard OpenTelemetry variables ask for traces: an OTLP endpoint, or an exporter
 * named in OTEL_TRACES_EXPORTER; not when OTEL_SDK_DISABLED is true or the exporter is `none`.
 */
export function tracingWanted(env: Record<string, string | undefined>): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  if (exporters === 'none') return false;
  return Boolean(exporters || env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}
