import { UpstreamError } from '../../core/errors.ts';
import { getJson } from '../../core/http/httpJson.ts';
import type { ArgoReaderConfig } from '../../handlers/datasets/config.ts';
import { toDate } from './fieldMapping.ts';
import {
  type CronRun,
  missingProducer,
  type ProducerRef,
  type ProducerState,
  type RunPhase,
} from './types.ts';

export const ARGO_SYSTEM = 'Argo Workflows';
/** The label Argo puts on every Workflow a CronWorkflow starts. */
export const CRON_LABEL = 'workflows.argoproj.io/cron-workflow';

/**
 * Reads CronWorkflows and their runs from the Argo Workflows server. A deliberately small reader
 * for the datasets capability; a fuller Argo client may replace it behind this interface.
 */
export interface CronWorkflowReader {
  /** One CronWorkflow and its newest runs; `found: false` when it does not exist. */
  producer(ref: ProducerRef, runs: number): Promise<ProducerState>;
  /**
   * Every CronWorkflow of a namespace with its newest runs, by name: two requests however many
   * datasets the namespace produces.
   */
  namespace(namespace: string, runsPerCron: number): Promise<Map<string, ProducerState>>;
}

const PHASES: ReadonlySet<string> = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Error']);
// Only what the status needs: workflows carry their whole spec and node tree otherwise.
const WORKFLOW_FIELDS = [
  'metadata.continue',
  'items.metadata.name',
  'items.metadata.labels',
  'items.metadata.creationTimestamp',
  'items.status.phase',
  'items.status.startedAt',
  'items.status.finishedAt',
  'items.status.message',
].join(',');

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const items = (body: unknown): unknown[] => {
  const list = obj(body).items;
  // The server sends `"items": null` for an empty list.
  return Array.isArray(list) ? list : [];
};

function toRun(workflow: unknown): CronRun & { created: Date | null; cron: string | null } {
  const meta = obj(obj(workflow).metadata);
  const status = obj(obj(workflow).status);
  const phase = str(status.phase);
  return {
    name: str(meta.name) ?? '?',
    phase: phase && PHASES.has(phase) ? (phase as RunPhase) : phase === null ? 'Pending' : 'Unknown',
    startedAt: toDate(status.startedAt),
    finishedAt: toDate(status.finishedAt),
    message: str(status.message),
    created: toDate(meta.creationTimestamp),
    cron: str(obj(meta.labels)[CRON_LABEL]),
  };
}

function byStart(runs: ReturnType<typeof toRun>[]): CronRun[] {
  return runs
    .sort(
      (a, b) => ((b.startedAt ?? b.created)?.getTime() ?? 0) - ((a.startedAt ?? a.created)?.getTime() ?? 0),
    )
    .map(({ created: _c, cron: _l, ...run }) => run);
}

function toState(ref: ProducerRef, cron: unknown, runs: CronRun[]): ProducerState {
  const spec = obj(obj(cron).spec);
  const status = obj(obj(cron).status);
  const schedules = Array.isArray(spec.schedules)
    ? spec.schedules.filter((s): s is string => typeof s === 'string')
    : typeof spec.schedule === 'string'
      ? [spec.schedule]
      : [];
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(obj) : [];
  const submission = conditions.find((c) => c.type === 'SubmissionError' && c.status === 'True');
  return {
    ref,
    found: true,
    schedules,
    timezone: str(spec.timezone),
    suspended: spec.suspend === true,
    lastScheduledTime: toDate(status.lastScheduledTime),
    active: Array.isArray(status.active) ? status.active.length : 0,
    submissionError: submission
      ? (str(submission.message) ?? 'the CronWorkflow could not submit a workflow')
      : null,
    runs,
  };
}

export class HttpCronWorkflowReader implements CronWorkflowReader {
  readonly #config: ArgoReaderConfig;
  readonly #token: string | undefined;

  constructor(config: ArgoReaderConfig, token?: string) {
    this.#config = config;
    this.#token = token;
  }

  static fromConfig(config: ArgoReaderConfig, deps: { token?: string | undefined }): HttpCronWorkflowReader {
    return new HttpCronWorkflowReader(config, deps.token);
  }

  #get(path: string, query: Record<string, string> = {}): Promise<unknown> {
    const base = new URL(this.#config.url);
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${path}`, base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    return getJson({ system: ARGO_SYSTEM, url, token: this.#token, timeoutMs: this.#config.timeout });
  }

  async #workflows(namespace: string, selector: string, limit?: number): Promise<ReturnType<typeof toRun>[]> {
    const body = await this.#get(`/api/v1/workflows/${encodeURIComponent(namespace)}`, {
      'listOptions.labelSelector': selector,
      fields: WORKFLOW_FIELDS,
      ...(limit ? { 'listOptions.limit': String(limit) } : {}),
    });
    return items(body).map(toRun);
  }

  async producer(ref: ProducerRef, runs: number): Promise<ProducerState> {
    const ns = encodeURIComponent(ref.namespace);
    let cron: unknown;
    try {
      cron = await this.#get(`/api/v1/cron-workflows/${ns}/${encodeURIComponent(ref.cronWorkflow)}`);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return missingProducer(ref);
      throw error;
    }
    // No listOptions.limit here: the server's order is not "newest first", so take all (the
    // CronWorkflow's history limits keep them few) and sort.
    const history = await this.#workflows(ref.namespace, `${CRON_LABEL}=${ref.cronWorkflow}`);
    return toState(ref, cron, byStart(history).slice(0, runs));
  }

  async namespace(namespace: string, runsPerCron: number): Promise<Map<string, ProducerState>> {
    const [crons, runs] = await Promise.all([
      this.#get(`/api/v1/cron-workflows/${encodeURIComponent(namespace)}`),
      this.#workflows(namespace, CRON_LABEL),
    ]);
    const runsByCron = new Map<string, ReturnType<typeof toRun>[]>();
    for (const run of runs) {
      if (!run.cron) continue;
      const list = runsByCron.get(run.cron) ?? [];
      list.push(run);
      runsByCron.set(run.cron, list);
    }
    const out = new Map<string, ProducerState>();
    for (const cron of items(crons)) {
      const name = str(obj(obj(cron).metadata).name);
      if (!name) continue;
      const ref = { namespace, cronWorkflow: name };
      out.set(name, toState(ref, cron, byStart(runsByCron.get(name) ?? []).slice(0, runsPerCron)));
    }
    return out;
  }
}
