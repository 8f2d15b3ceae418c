import { ACTIVE_PHASES, FAILED_PHASES, FINISHED_PHASES } from '../../integrations/argo/phases.ts';
import type { CronRun, ProducerState } from './types.ts';

export type StatusCode = 'failed' | 'late' | 'unknown' | 'ok';

/** Problems first: the order lists are sorted in, and the precedence of evaluateStatus. */
export const STATUS_ORDER: readonly StatusCode[] = ['failed', 'late', 'unknown', 'ok'];

export type StatusCause =
  /** The CronWorkflow reports a SubmissionError: it cannot start runs at all. */
  | 'submission-error'
  /** The newest finished run ended Failed or Error. */
  | 'run-failed'
  /** Last refreshed longer ago than the freshness SLA allows. */
  | 'past-sla'
  | 'within-sla'
  /** No SLA to judge by, but the newest finished run succeeded. */
  | 'last-run-succeeded'
  /** A producer is mapped but Argo has no such CronWorkflow. */
  | 'producer-missing'
  | 'no-information';

export interface StatusInput {
  /** The catalog's last-updated time, when the catalog was read and has one. */
  lastUpdated: Date | null;
  freshnessSlaMs: number | null;
  /** The producer's state; null when none is mapped or Argo could not be read. */
  producer: ProducerState | null;
}

export interface DatasetStatus {
  code: StatusCode;
  cause: StatusCause;
  /** When the data was last refreshed: the catalog's time, else the last successful run's end. */
  freshAt: Date | null;
  /** When the data becomes late (freshAt + SLA). */
  dueAt: Date | null;
  /** How far past the SLA, when it is; failed datasets can be late too. */
  lateByMs: number | null;
  /** The newest finished run (Succeeded, Failed or Error). */
  lastFinished: CronRun | null;
  /** A run is in progress now. */
  running: boolean;
}

/**
 * A dataset's status from what the catalog and Argo say, at `now`. Precedence, first match wins:
 *
 * 1. failed  — the CronWorkflow cannot submit runs, or its newest finished run failed. It names
 *              a cause someone must fix, so it outranks lateness (a failed producer makes the data
 *              late soon enough, and "late" alone would hide why).
 * 2. late    — now is past last-updated + freshness SLA. Last-updated is the catalog's, else the
 *              newest successful run's finish.
 * 3. ok      — within the SLA; or, with no SLA, the newest finished run succeeded.
 * 4. unknown — nothing to judge by (no SLA and no finished run, the producer is missing, or the
 *              sources that would say could not be read).
 *
 * Pure: the caller passes the time, so tests pin it.
 */
export function evaluateStatus(input: StatusInput, now: Date): DatasetStatus {
  const runs = input.producer?.runs ?? [];
  const lastFinished = runs.find((r) => FINISHED_PHASES.has(r.phase)) ?? null;
  const lastSucceeded = runs.find((r) => r.phase === 'Succeeded') ?? null;
  const running = (input.producer?.active ?? 0) > 0 || runs.some((r) => ACTIVE_PHASES.has(r.phase));
  const freshAt = input.lastUpdated ?? lastSucceeded?.finishedAt ?? null;
  const dueAt =
    freshAt && input.freshnessSlaMs !== null ? new Date(freshAt.getTime() + input.freshnessSlaMs) : null;
  const lateByMs = dueAt && now.getTime() > dueAt.getTime() ? now.getTime() - dueAt.getTime() : null;
  const base = { freshAt, dueAt, lateByMs, lastFinished, running };

  if (input.producer?.submissionError) return { code: 'failed', cause: 'submission-error', ...base };
  if (lastFinished && FAILED_PHASES.has(lastFinished.phase))
    return { code: 'failed', cause: 'run-failed', ...base };
  if (lateByMs !== null) return { code: 'late', cause: 'past-sla', ...base };
  if (dueAt) return { code: 'ok', cause: 'within-sla', ...base };
  if (lastFinished) return { code: 'ok', cause: 'last-run-succeeded', ...base };
  if (input.producer && !input.producer.found) return { code: 'unknown', cause: 'producer-missing', ...base };
  return { code: 'unknown', cause: 'no-information', ...base };
}

/** Problems first: by status (failed, late, unknown, ok), then the latest first, then by name. */
export function compareByProblem(
  a: { name: string; status: DatasetStatus },
  b: { name: string; status: DatasetStatus },
): number {
  const byCode = STATUS_ORDER.indexOf(a.status.code) - STATUS_ORDER.indexOf(b.status.code);
  if (byCode !== 0) return byCode;
  const late = (b.status.lateByMs ?? -1) - (a.status.lateByMs ?? -1);
  if (late !== 0) return late;
  return a.name.localeCompare(b.name);
}
