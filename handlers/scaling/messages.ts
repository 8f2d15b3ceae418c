import { Blocks, Md } from 'slack-block-builder';
import type { PodReport } from '../../integrations/kubernetes/kubernetes.ts';
import { blocks, type Message } from '../../pipeline/message.ts';
import { escapeMrkdwn } from '../../pipeline/views/common.ts';
import type { ScaleMode } from './plan.ts';

/**
 * An announcement of a worker change: a headline (who, what, from → to), lines (why, when it
 * reverts, what it replaced, warnings) and a status line that background work keeps current
 * (`6/8 ready`). Kept as data so a job can rebuild the message when the status changes.
 */
export interface Announcement {
  headline: string;
  lines: string[];
  status: string;
}

export function announcementMessage(a: Announcement): Message {
  const body = [Md.bold(escapeMrkdwn(a.headline)), ...a.lines.map((l) => escapeMrkdwn(l))].join('\n');
  return {
    text: escapeMrkdwn([a.headline, ...a.lines, a.status].filter(Boolean).join('\n')),
    visibility: 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: body.slice(0, 2900) }),
      a.status ? Blocks.Context().elements(escapeMrkdwn(a.status).slice(0, 2000)) : undefined,
    ),
  };
}

/** `6/8 ready`; `2 still stopping`; `at least 6: 4 ready`. */
export function readinessStatus(
  mode: ScaleMode,
  desired: number,
  ready: number | null,
  current: number | null,
): string {
  if (ready === null) return 'Readiness is not tracked for this target (no pod selector configured).';
  if (mode === 'hpaMinReplicas') return `${ready}/${desired} ready (the HPA keeps at least ${desired})`;
  if (desired === 0) {
    const left = Math.max(ready, current ?? 0);
    return left === 0 ? 'All workers stopped.' : `${left} still stopping`;
  }
  return `${Math.min(ready, desired)}/${desired} ready`;
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
