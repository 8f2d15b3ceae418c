import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * What dpbot counts, for GET /metrics. One registry per app (no module-level default registry),
 * so two apps in one process (tests) keep their own figures.
 */
export interface Metrics {
  readonly registry: Registry;
  commandFinished(command: string, outcome: string): void;
  /** Seconds from receiving a Slack request to acknowledging it. */
  acknowledged(entry: string, seconds: number): void;
  decision(action: string, allowed: boolean): void;
  auditWrite(kind: string, ok: boolean): void;
  /** One call to an external system; `status` is the HTTP status, or "error"/"timeout". */
  externalCall(system: string, status: number | string): void;
  /** Called at each scrape to fill gauges that are read rather than counted. */
  onCollect(collect: () => Promise<void>): void;
  readonly gauges: {
    jobQueueDepth: Gauge<'queue' | 'state'>;
    directorySyncAge: Gauge<'source'>;
  };
}

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
    help: 'Calls to external systems, by system and HTTP status',
    labelNames: ['system', 'status'],
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
  return {
    registry,
    commandFinished: (command, outcome) => commands.inc({ command, outcome }),
    acknowledged: (entry, seconds) => ack.observe({ entry }, seconds),
    decision: (action, allowed) => decisions.inc({ action, decision: allowed ? 'allow' : 'deny' }),
    auditWrite: (kind, ok) => audits.inc({ kind, result: ok ? 'ok' : 'failed' }),
    externalCall: (system, status) => calls.inc({ system, status: String(status) }),
    onCollect: (collect) => {
      collectors.push(collect);
    },
    gauges: { jobQueueDepth, directorySyncAge },
  };
}

/**
 * A fetch that counts each call's outcome under `system`: for the clients that accept a fetch
 * (the Slack Web API, Octokit, the Argo and catalog clients).
 */
export function countedFetch(metrics: Metrics, system: string, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    try {
      const response = await inner(input, init);
      metrics.externalCall(system, response.status);
      return response;
    } catch (error) {
      metrics.externalCall(system, (error as Error).name === 'TimeoutError' ? 'timeout' : 'error');
      throw error;
    }
  };
}
