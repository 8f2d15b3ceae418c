/**
 * The phases of an Argo Workflow (io.argoproj.workflow.v1alpha1.WorkflowStatus.phase), written
 * once for everything in dpbot that reads them: the task watcher, its views, the dataset status.
 */
export const WORKFLOW_PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Error'] as const;

export type WorkflowPhase = (typeof WORKFLOW_PHASES)[number];

/** A workflow in one of these has ended and will not change again. */
export const FINISHED_PHASES: ReadonlySet<string> = new Set<WorkflowPhase>(['Succeeded', 'Failed', 'Error']);

/** Ended without succeeding: Failed is a step that failed, Error is Argo itself giving up. */
export const FAILED_PHASES: ReadonlySet<string> = new Set<WorkflowPhase>(['Failed', 'Error']);

/** Not ended yet: queued, or running. */
export const ACTIVE_PHASES: ReadonlySet<string> = new Set<WorkflowPhase>(['Pending', 'Running']);

const KNOWN: ReadonlySet<string> = new Set(WORKFLOW_PHASES);

export function isWorkflowPhase(value: unknown): value is WorkflowPhase {
  return typeof value === 'string' && KNOWN.has(value);
}
