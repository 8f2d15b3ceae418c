import { FAILED_PHASES, FINISHED_PHASES } from '../../integrations/argo/phases.ts';
import type { NodeStatus, Workflow } from '../../integrations/argo/types.ts';

export interface StepSummary {
  name: string;
  phase: string;
  message: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** What people need to know about a workflow, read from its status. */
export interface WorkflowSummary {
  /** Pending, Running, Succeeded, Failed or Error (an empty phase reads as Pending). */
  phase: string;
  done: boolean;
  progress: string | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The workflow's own message (`Stopped with strategy 'Stop'`, `child '…' failed`). */
  message: string | null;
  /** Steps running now. */
  running: string[];
  /** The first step that failed, and why. */
  failed: { step: string; message: string } | null;
  /** The workflow's pods (steps), in the order they started. */
  steps: StepSummary[];
}

const date = (value: string | null | undefined): Date | null => {
  if (!value) return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
};

const leaf = (n: NodeStatus) =>
  n.type === 'Pod' || n.type === 'Container' || n.type === 'HTTP' || n.type === 'Plugin';

export function summarizeWorkflow(wf: Workflow): WorkflowSummary {
  const status = wf.status ?? {};
  const phase = status.phase || 'Pending';
  const pods = Object.values(status.nodes ?? {})
    .filter(leaf)
    .sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? '') || a.id.localeCompare(b.id));
  const steps = pods.map((n) => ({
    name: n.displayName ?? n.name,
    phase: n.phase ?? 'Pending',
    message: n.message ?? null,
    startedAt: date(n.startedAt),
    finishedAt: date(n.finishedAt),
  }));
  const failedNode = pods
    .filter((n) => n.phase !== undefined && FAILED_PHASES.has(n.phase))
    .sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''))[0];
  return {
    phase,
    done: FINISHED_PHASES.has(phase),
    progress: status.progress ?? null,
    startedAt: date(status.startedAt),
    finishedAt: date(status.finishedAt),
    message: status.message ?? null,
    running: steps.filter((s) => s.phase === 'Running').map((s) => s.name),
    failed: failedNode
      ? {
          step: failedNode.displayName ?? failedNode.name,
          message: failedNode.message ?? status.message ?? '',
        }
      : null,
    steps,
  };
}
