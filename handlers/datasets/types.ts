import type { WorkflowPhase } from '../../integrations/argo/phases.ts';

/** The CronWorkflow (Argo Workflows) that produces a dataset. */
export interface ProducerRef {
  namespace: string;
  cronWorkflow: string;
}

/** A run's workflow phase; Unknown when argo-server reports one this version of dpbot does not know. */
export type RunPhase = WorkflowPhase | 'Unknown';

/** One Workflow a CronWorkflow started. */
export interface CronRun {
  name: string;
  phase: RunPhase;
  startedAt: Date | null;
  finishedAt: Date | null;
  message: string | null;
}

/** What Argo Workflows says about a dataset's producer. */
export interface ProducerState {
  ref: ProducerRef;
  /** False when the CronWorkflow does not exist (a mapping that points nowhere). */
  found: boolean;
  schedules: string[];
  timezone: string | null;
  suspended: boolean;
  lastScheduledTime: Date | null;
  /** Workflows running now. */
  active: number;
  /** A true SubmissionError condition: the CronWorkflow cannot start runs. */
  submissionError: string | null;
  /** Runs, newest first. */
  runs: CronRun[];
}

/** The state of a producer whose CronWorkflow does not exist. */
export function missingProducer(ref: ProducerRef): ProducerState {
  return {
    ref,
    found: false,
    schedules: [],
    timezone: null,
    suspended: false,
    lastScheduledTime: null,
    active: 0,
    submissionError: null,
    runs: [],
  };
}
