import { UpstreamError } from '../../core/errors.ts';
import { type ArgoClient, CRON_LABEL } from '../../integrations/argo/argoClient.ts';
import { isWorkflowPhase } from '../../integrations/argo/phases.ts';
import type { CronWorkflow, Workflow } from '../../integrations/argo/types.ts';
import type { CronWorkflowReader } from './datasetService.ts';
import { type CronRun, missingProducer, type ProducerRef, type ProducerState } from './types.ts';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
/** Argo's timestamps are RFC 3339 strings (metav1.Time); anything else reads as unknown. */
function toDate(v: unknown): Date | null {
  const text = str(v)?.trim();
  if (!text) return null;
  const at = new Date(text);
  return Number.isNaN(at.getTime()) ? null : at;
}

type Run = CronRun & { created: Date | null; cron: string | null };

// The answers are argo-server's JSON as received: every field is read as if it could be missing.
function toRun(workflow: Workflow): Run {
  const meta = obj(obj(workflow).metadata);
  const status = obj(obj(workflow).status);
  const phase = str(status.phase);
  return {
    name: str(meta.name) ?? '?',
    phase: isWorkflowPhase(phase) ? phase : phase === null ? 'Pending' : 'Unknown',
    startedAt: toDate(status.startedAt),
    finishedAt: toDate(status.finishedAt),
    message: str(status.message),
    created: toDate(meta.creationTimestamp),
    cron: str(obj(meta.labels)[CRON_LABEL]),
  };
}

function byStart(runs: Run[]): CronRun[] {
  return runs
    .sort(
      (a, b) => ((b.startedAt ?? b.created)?.getTime() ?? 0) - ((a.startedAt ?? a.created)?.getTime() ?? 0),
    )
    .map(({ created: _c, cron: _l, ...run }) => run);
}

/**
 * A CronWorkflow's cron expressions. Argo Workflows 4 has only `schedules`; 3.6 and 3.7 have both,
 * `schedule` deprecated; 3.5 has only `schedule`. So `schedules` when it has any, else `schedule`.
 */
export function cronSchedules(cron: CronWorkflow): string[] {
  const spec = obj(obj(cron).spec);
  const schedules = Array.isArray(spec.schedules)
    ? spec.schedules.filter((s): s is string => typeof s === 'string' && s.trim() !== '')
    : [];
  if (schedules.length > 0) return schedules;
  return typeof spec.schedule === 'string' && spec.schedule.trim() !== '' ? [spec.schedule] : [];
}

function toState(ref: ProducerRef, cron: CronWorkflow, runs: CronRun[]): ProducerState {
  const spec = obj(obj(cron).spec);
  const status = obj(obj(cron).status);
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(obj) : [];
  const submission = conditions.find((c) => c.type === 'SubmissionError' && c.status === 'True');
  return {
    ref,
    found: true,
    schedules: cronSchedules(cron),
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

/** The datasets' producers (CronWorkflows and the runs they started), read with the Argo client. */
export class ArgoProducerReader implements CronWorkflowReader {
  readonly #argo: ArgoClient;

  constructor(argo: ArgoClient) {
    this.#argo = argo;
  }

  async producer(ref: ProducerRef, runs: number): Promise<ProducerState> {
    let cron: CronWorkflow;
    try {
      cron = await this.#argo.getCronWorkflow(ref.namespace, ref.cronWorkflow);
    } catch (error) {
      if (error instanceof UpstreamError && error.status === 404) return missingProducer(ref);
      throw error;
    }
    // No limit here: the server's order is not "newest first", so take all (the CronWorkflow's
    // history limits keep them few) and sort.
    const history = await this.#argo.listSummaries(ref.namespace, {
      labelSelector: `${CRON_LABEL}=${ref.cronWorkflow}`,
    });
    return toState(ref, cron, byStart(history.map(toRun)).slice(0, runs));
  }

  async namespace(namespace: string, runsPerCron: number): Promise<Map<string, ProducerState>> {
    const [crons, runs] = await Promise.all([
      this.#argo.listCronWorkflows(namespace),
      this.#argo.listSummaries(namespace, { labelSelector: CRON_LABEL }),
    ]);
    const runsByCron = new Map<string, Run[]>();
    for (const run of runs.map(toRun)) {
      if (!run.cron) continue;
      const list = runsByCron.get(run.cron) ?? [];
      list.push(run);
      runsByCron.set(run.cron, list);
    }
    const out = new Map<string, ProducerState>();
    for (const cron of crons) {
      const name = str(obj(obj(cron).metadata).name);
      if (!name) continue;
      const ref = { namespace, cronWorkflow: name };
      out.set(name, toState(ref, cron, byStart(runsByCron.get(name) ?? []).slice(0, runsPerCron)));
    }
    return out;
  }
}
