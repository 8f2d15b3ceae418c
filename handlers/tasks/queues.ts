/**
 * Ops tasks' job queues. The strings are what pg-boss stores with each job, so they never
 * change: a job already queued under a name must still be worked after an upgrade.
 */
export const QUEUES = {
  /** One look at the Argo workflow of a task run; each look queues the next until it ends. */
  watch: 'dpbot.task-watch',
  /** Gives an open task run that has no watcher job a new one (every minute). */
  sweep: 'dpbot.task-sweep',
  /** A run event's audit row, written late because it could not be written when it happened. */
  audit: 'dpbot.task-audit',
  /** Comments a task run's outcome on its Jira issue. */
  jira: 'dpbot.task-jira',
} as const;
