import type { Logger } from 'pino';
import type { Env } from '../../../core/config/secrets.ts';
import type { DirectorySnapshot } from '../snapshot.ts';

/**
 * One configured place users and groups come from. A source fetches everything it has, in full,
 * before anything is compared or written; it throws rather than return a partial answer, so a
 * broken page or a timeout can never look like a mass removal.
 */
export interface DirectorySource {
  /** The configured name; its groups are stored as `<name>:<id>`. */
  readonly name: string;
  /** `file`, `google`, `github` (and, later, `slack`). */
  readonly type: string;
  /** Where it reads from, for messages (`https://admin.googleapis.com (customer my_customer)`). */
  readonly describe: string;
  fetch(signal: AbortSignal): Promise<DirectorySnapshot>;
}

/** What a source factory may use; built once at start. */
export interface SourceDeps {
  /** The configuration file's folder, for relative paths. */
  configDir: string;
  env: Env;
  log: Logger;
  /** slack.apiUrl, the default base URL of a Slack source. */
  slackApiUrl?: string | undefined;
}

// Integrations (the directory clients) throw these too, so they live in core; sources and tests
// keep importing them from here.
export { TruncatedAnswerError, throwIfAborted } from '../../../core/upstreamAnswers.ts';
