/**
 * The release's job queues. The strings are what pg-boss stores with each job, so they never
 * change: a job already queued under a name must still be worked after an upgrade.
 */
export const QUEUES = {
  /** One look at a shipping release (syncs, health, waves); each look queues the next. */
  watch: 'release.watch',
  /** One look at a rollback in progress; each look queues the next. */
  watchRollback: 'release.watch-rollback',
  /** Reminds service owners who have not yet chosen Include or Skip. */
  remindOwners: 'release.remind-owners',
  /** Reminds the thread that a rollback left an application's auto-sync off. */
  autoSyncReminder: 'release.autosync-reminder',
  /** The scheduled weekly release reminder. */
  weekly: 'release.weekly',
  /** Announces a shipped release: its event, fix version, GitHub releases, stakeholder notes, thread. */
  shipped: 'release.shipped',
  /** Sets the Jira fix version after a ship. */
  tracker: 'release.tracker',
  /** Sends a service's "running in production" or "rolled back" notices (PR and Jira comments, direct messages). */
  notices: 'release.send-notices',
  /** Resumes or ends a shipping release that has no watcher job, and gives stalled notices a new job (every minute). */
  sweep: 'release.sweep',
} as const;
