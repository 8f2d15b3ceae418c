/**
 * The datasets capability's job queues. The strings are what pg-boss stores with each job, so they
 * never change: a job already queued under a name must still be worked after an upgrade.
 */
export const QUEUES = {
  /** Looks for datasets past their freshness SLA: alerts new latenesses, updates ended ones. */
  lateSweep: 'dpbot.datasets-late-sweep',
} as const;
