/**
 * The directory's job queues. The strings are what pg-boss stores with each job, so they never
 * change: a job already queued under a name must still be worked after an upgrade.
 */
export const QUEUES = {
  /** Syncs one directory source's users and groups (on its schedule, and at once when it has never synced). */
  sync: 'dpbot.directory-sync',
} as const;
