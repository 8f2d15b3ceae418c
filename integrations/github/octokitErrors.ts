// Apart from octokit.ts so that the GitHub clients can read their errors without loading Octokit,
// which they import only when they first call GitHub.

/** GitHub did not answer within the configured time (Octokit reports it as a status-500 error). */
export class GitHubTimeoutError extends Error {
  override readonly name = 'GitHubTimeoutError';
}

/** The timeout behind an Octokit error, if that is what it was (Octokit wraps it in causes). */
export function timedOut(error: unknown): GitHubTimeoutError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    if (current instanceof GitHubTimeoutError) return current;
    current = current.cause;
  }
  return undefined;
}

/** The HTTP status of an Octokit error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number')
    return error.status;
  return undefined;
}
