import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { type OutboundCall, onOutboundCall } from './http/outbound.ts';

/**
 * What dpbot counts, for GET /metrics. One registry per app (no module-level default registry),
 * so two apps in one process (tests) keep their own figures — except outbound calls made by the
 * integration clients, which are reported process-wide (see core/http/outbound.ts).
 */
export interface Metrics {
  readonly registry: Registry;
  commandFinished(command: string, outcome: string, seconds: number): void;
  /** Seconds from receiving a Slack request to acknowledging it. */
  acknowledged(entry: string, seconds: number): void;
  decision(action: string, allowed: boolean): void;
  auditWrite(kind: string, ok: boolean): void;
  /**
   * One call to an external system; `status` is the HTTP status, "ok" where the client does not
   * say which success it was, or "error"/"timeout".
   */
  externalCall(system: string, status: number | string, seconds?: number): void;
  /** One run of a background job, by queue (a fixed set of names) and whether it succeeded. */
  jobRun(queue: string, ok: boolean): void;
  /** One full collection run to give memory back (core/memoryCompaction.ts), and how long it paused. */
  memoryCompacted(reason: string, seconds: number): void;
  /** Called at each scrape to fill gauges that are read rather than counted. */
  onCollect(collect: () => Promise<void>): void;
  /** Stops taking process-wide reports (outbound calls) into this registry. */
  close(): void;
  readonly gauges: {
    jobQueueDepth: Gauge<'queue' | 'state'>;
    directorySyncAge: Gauge<'source'>;
    auditOutboxRows: Gauge;
    auditCheckpointSuccess: Gauge;
  };
}

/**
 * The systems dpbot calls, the only values of the `system` label: anything else is counted as
 * "other", so a new client cannot grow the series without a name here.
 */
export const SYSTEMS = [
  'slack',
  'kubernetes',
  'argo',
  'argocd',
  'github',
  'jira',
  'directory',
  'catalog',
] as const;
export type System = (typeof SYSTEMS)[number];
const known = new Set<string>(SYSTEMS);

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'dpbot_process_' });
  const collectors: (() => Promise<void>)[] = [];
  const commands = new Counter({
    name: 'dpbot_commands_total',
    help: 'Commands handled, by command and outcome',
    labelNames: ['command', 'outcome'],
    registers: [registry],
  });
  const commandDuration = new Histogram({
    name: 'dpbot_command_duration_seconds',
    help: 'Time from receiving a command to its outcome (answered, asked to confirm, queued, failed), by command',
    labelNames: ['command'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const ack = new Histogram({
    name: 'dpbot_ack_latency_seconds',
    help: 'Time from receiving a request to acknowledging it (Slack allows 3 s)',
    labelNames: ['entry'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 3, 5],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'dpbot_authorization_decisions_total',
    help: 'Authorization decisions, by action and result',
    labelNames: ['action', 'decision'],
    registers: [registry],
  });
  const audits = new Counter({
    name: 'dpbot_audit_writes_total',
    help: 'Audit rows written, by kind and result',
    labelNames: ['kind', 'result'],
    registers: [registry],
  });
  const calls = new Counter({
    name: 'dpbot_external_calls_total',
    help: 'Calls to external systems, by system and HTTP status (or ok, error, timeout)',
    labelNames: ['system', 'status'],
    registers: [registry],
  });
  const callDuration = new Histogram({
    name: 'dpbot_external_call_duration_seconds',
    help: 'Time each call to an external system took, by system',
    labelNames: ['system'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const jobRuns = new Counter({
    name: 'dpbot_job_runs_total',
    help: 'Background job runs, by queue and outcome (ok, failed)',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
  });
  const compactions = new Histogram({
    name: 'dpbot_memory_compaction_seconds',
    help: 'Full collections run to give memory back (after the start, after a quiet spell), and the pause each took',
    labelNames: ['reason'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const jobQueueDepth = new Gauge({
    name: 'dpbot_job_queue_depth',
    help: 'Jobs per queue and state (ready, deferred, active), as of the job queue’s last monitoring pass',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      await Promise.all(collectors.map((c) => c()));
    },
  });
  const directorySyncAge = new Gauge({
    name: 'dpbot_directory_sync_age_seconds',
    help: 'Seconds since the last successful sync of each directory source',
    labelNames: ['source'],
    registers: [registry],
  });
  const auditOutboxRows = new Gauge({
    name: 'dpbot_audit_outbox_rows',
    help: 'Audit rows this process holds because the database could not take them',
    registers: [registry],
  });
  const auditCheckpointSuccess = new Gauge({
    name: 'dpbot_audit_checkpoint_last_success_timestamp_seconds',
    help: 'When this process last signed (or found current) the audit checkpoint; only the signing replica sets it',
    registers: [registry],
  });
  const externalCall = (system: string, status: number | string, seconds?: number) => {
    const label = known.has(system) ? system : 'other';
    calls.inc({ system: label, status: String(status) });
    if (seconds !== undefined) callDuration.observe({ system: label }, seconds);
  };
  const unsubscribe = onOutboundCall((call: OutboundCall) =>
    externalCall(call.system, call.status, call.seconds),
  );
  return {
    registry,
    commandFinished: (command, outcome, seconds) => {
      commands.inc({ command, outcome });
      commandDuration.observe({ command }, seconds);
    },
    acknowledged: (entry, seconds) => ack.observe({ entry }, seconds),
    decision: (action, allowed) => decisions.inc({ action, decision: allowed ? 'allow' : 'deny' }),
    auditWrite: (kind, ok) => audits.inc({ kind, result: ok ? 'ok' : 'failed' }),
    externalCall,
    jobRun: (queue, ok) => jobRuns.inc({ queue, outcome: ok ? 'ok' : 'failed' }),
    memoryCompacted: (reason, seconds) => compactions.observe({ reason }, seconds),
    onCollect: (collect) => {
      collectors.push(collect);
    },
    close: unsubscribe,
    gauges: { jobQueueDepth, directorySyncAge, auditOutboxRows, auditCheckpointSuccess },
  };
}

/**
 * A fetch that counts and times each call under `system`: for the clients that accept a fetch
 * and are built with the app's metrics at hand (the Slack Web API).
 */
export function countedFetch(metrics: Metrics, system: System, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const started = performance.now();
    try {
      const response = await inner(input, init);
      metrics.externalCall(system, response.status, (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      metrics.externalCall(
        system,
        (error as Error).name === 'TimeoutError' ? 'timeout' : 'error',
        (performance.now() - started) / 1000,
      );
      throw error;
    }
  };
}
