/**
 * The issue tracker's part in a release (Jira), behind the smallest interface the release needs.
 * A release works without one: `Services.releaseTracker` is then undefined, every tracker step
 * is skipped, and the notes say so. The Jira implementation (jira.js against a simulator) is built
 * separately; nothing here pretends to be it.
 */
export interface TrackedIssue {
  key: string;
  /** The issue's summary, which stakeholders understand better than a pull request's title. */
  summary: string;
  status?: string;
  url?: string;
}

export interface TrackerVersion {
  id: string;
  name: string;
  url?: string;
}

export interface ReleaseTracker {
  /** Human name for messages ("Jira"). */
  readonly name: string;
  /** Looks up many keys at once (one search per 100 keys); unknown keys are simply absent. */
  lookup(keys: readonly string[]): Promise<Map<string, TrackedIssue>>;
  /** Creates the release's version (the Jira fix version), or returns it when it exists. */
  ensureVersion(input: { name: string; description: string }): Promise<TrackerVersion>;
  /** Sets the version on these issues. */
  assignVersion(version: TrackerVersion, keys: readonly string[]): Promise<void>;
  /** Marks the version released (only once every included service is healthy). */
  markReleased(version: TrackerVersion): Promise<void>;
}
