/**
 * Worker scaling's job queues. The strings are what pg-boss stores with each job, so they never
 * change: a job already queued under a name must still be worked after an upgrade.
 */
export const QUEUES = {
  /** Puts a team's workers back when a timed scale (`--for`) runs out. */
  revert: 'dpbot.workers.revert',
  /** Gives an overdue revert that has no job a new one (every minute). */
  revertSweep: 'dpbot.workers.revert-sweep',
  /** One look at a target's pods after a scale; each look queues the next until they are ready. */
  readiness: 'dpbot.workers.readiness',
} as const;
