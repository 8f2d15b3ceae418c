/**
 * The pipeline's housekeeping job queues (pipeline/housekeepingJobs.ts). The strings are what
 * pg-boss stores with each job, so they never change: a job already queued under a name must
 * still be worked after an upgrade.
 */
export const QUEUES = {
  /** Ends confirmations nobody answered in time (every minute). */
  expireConfirmations: 'dpbot.expire-confirmations',
  /** Ends approved requests whose process stopped before running them (every minute). */
  sweepApprovals: 'dpbot.sweep-approvals',
  /** Forgets Slack delivery signatures older than Slack's replay window (every ten minutes). */
  pruneSlackRequests: 'dpbot.prune-slack-requests',
} as const;
