import type { PodReport } from '../../integrations/kubernetes/kubernetes.ts';
import type { ScaleMode } from './plan.ts';

/**
 * An announcement of a worker change: a headline (who, what, from → to), lines (why, when it
 * reverts, what it replaced, warnings) and a status line that background work keeps current
 * (`6/8 ready`). Kept as data so a job can rebuild the message when the status changes.
 */
export interface Announcement {
  /**
   * Who made the change, as mrkdwn (a mention); the headline goes on from it. Lines name people
   * with pipeline/people.ts personToken, made mentions when the message is built.
   */
  by?: string | undefined;
  headline: string;
  lines: string[];
  status: string;
}

/**
 * `6/8 ready`; `4 of 6 pods still stopping (down to 2)`; `Scaled down to 2: all 2 ready`;
 * `2 still stopping` (to 0); `4/6 ready (the HPA keeps at least 6)`. A scale-down is told as pods
 * going away: "6/2 ready" would read as more than enough, while four pods are still being stopped.
 * `from` is the count the change replaced, when known.
 */
export function readinessStatus(
  mode: ScaleMode,
  desired: number,
  ready: number | null,
  current: number | null,
  from?: number,
): string {
  if (ready === null) return 'Readiness is not tracked for this target (no pod selector configured).';
  if (mode === 'hpaMinReplicas') return `${ready}/${desired} ready (the HPA keeps at least ${desired})`;
  const pods = Math.max(ready, current ?? 0);
  if (desired === 0) return pods === 0 ? 'All workers stopped.' : `${pods} still stopping`;
  if (pods > desired) return `${pods - desired} of ${pods} pods still stopping (down to ${desired})`;
  if (from !== undefined && from > desired && ready === desired)
    return `Scaled down to ${desired}: all ${desired} ready`;
  return `${Math.min(ready, desired)}/${desired} ready`;
}

/** `6/8 ready`, or for a workload still shrinking `2 wanted, 4 of 6 pods still stopping`. */
export function podsLine(replicas: number, ready: number, current: number | null): string {
  const pods = Math.max(ready, current ?? 0);
  if (pods > replicas) return `${pods - replicas} of ${pods} pods still stopping`;
  return `${ready}/${replicas} ready`;
}

/** `2 Pending: Unschedulable (0/3 nodes are available: 3 Insufficient cpu.); 1 Running: CrashLoopBackOff` */
export function describePods(report: PodReport): string {
  if (report.problems.length === 0)
    return `${report.ready} of ${report.total} pods ready; the others report nothing wrong`;
  return report.problems
    .slice(0, 4)
    .map(
      (p) =>
        `${p.count} ${p.reason}${p.message ? ` (${p.message.length > 160 ? `${p.message.slice(0, 159)}…` : p.message})` : ''}`,
    )
    .join('; ');
}
