/**
 * What the Jira release tracker reads from `release.jira` (the schema lives with the release
 * capability's configuration; this is the tracker's view of it).
 */
export interface JiraReleaseTrackerConfig {
  /** The project whose fix version a release creates; unset: no tracker. */
  project?: string | undefined;
  scopeJql?: string | undefined;
  concurrency: number;
  retries: number;
  /** First wait before retrying a 5xx or no answer, in ms. */
  retryDelay: number;
  /** A Retry-After longer than this (ms) is not waited out. */
  maxRetryWait: number;
}
