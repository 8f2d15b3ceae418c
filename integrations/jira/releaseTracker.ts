/**
 * The issue tracker's part in a release (Jira), behind the smallest interface the release needs.
 * A release works without one: the release capability's `releaseTracker` is then undefined, every tracker step
 * is skipped, and the notes say so. The Jira implementation is `jiraReleaseTracker.ts`.
 */
export interface TrackedIssue {
  key: string;
  /** The issue's summary, which stakeholders understand better than a pull request's title. */
  summary: string;
  status?: string;
  url?: string;
  /** Names of the versions the issue already has (so a retried ship does not set them twice). */
  fixVersions?: string[];
}

export interface TrackerVersion {
  id: string;
  name: string;
  released?: boolean;
  url?: string;
}

/** What setting a version on issues did, issue by issue. */
export interface AssignResult {
  /** The issues that now carry the version. */
  assigned: string[];
  /** Not attempted, with the reason (an issue of another project; credentials already refused). */
  skipped: { key: string; reason: string }[];
  /** Refused, or still failing after the retries. */
  failed: { key: string; error: string }[];
}

export interface ReleaseTracker {
  /** Human name for messages ("Jira"). */
  readonly name: string;
  /** Looks up many keys at once (one search per 100 keys); unknown keys are simply absent. */
  lookup(keys: readonly string[]): Promise<Map<string, TrackedIssue>>;
  /**
   * The issues the tracker itself counts in the release: those already in the version of this
   * name (when it exists) and those matching the configured scope. With the pull requests' keys,
   * this gives the "keys without a pull request".
   */
  scope(versionName: string): Promise<TrackedIssue[]>;
  /** The version of this name, if it exists. */
  findVersion(name: string): Promise<TrackerVersion | undefined>;
  /** Creates the release's version (the Jira fix version), or returns it when it exists. */
  ensureVersion(input: { name: string; description: string }): Promise<TrackerVersion>;
  /** Sets the version on these issues; never throws for one issue: failures are in the result. */
  assignVersion(version: TrackerVersion, keys: readonly string[]): Promise<AssignResult>;
  /** Marks the version released on this day (only once every included service is healthy). */
  markReleased(version: TrackerVersion, releaseDate: string): Promise<TrackerVersion>;
}
