import type { Logger } from 'pino';
import { formatDuration } from '../../core/config/duration.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import {
  JIRA,
  JiraBadRequestError,
  type JiraClient,
  type JiraIssue,
  JiraNoAnswerError,
  JiraRateLimitedError,
  type JiraVersion,
} from './jiraClient.ts';
import type { AssignResult, ReleaseTracker, TrackedIssue, TrackerVersion } from './releaseTracker.ts';
import type { JiraReleaseTrackerConfig } from './releaseTrackerConfig.ts';

/** Keys per JQL search: Jira returns at most 100 issues with fields per page. */
export const KEYS_PER_SEARCH = 100;
/** The most issues a scope search reads (5 pages): a scope wider than that is a misconfiguration. */
const SCOPE_LIMIT = 500;
/** Searches of one batch without the keys Jira named unknown, before giving up on it. */
const UNKNOWN_KEY_RETRIES = 3;

/** How Jira names keys it does not know in a JQL search's 400 (deleted, never existed, not visible, malformed). */
const UNKNOWN_KEY = [
  /An issue with key '([^']+)' does not exist for field '\w+'/,
  /The issue key '([^']+)' for field '\w+' is invalid/,
];

export interface JiraReleaseTrackerOptions {
  jira: JiraClient;
  /** The project whose versions releases use. */
  project: string;
  scopeJql?: string | undefined;
  concurrency: number;
  retries: number;
  retryDelayMs: number;
  maxRetryWaitMs: number;
  log: Logger;
  sleep?: (ms: number) => Promise<void>;
}

const projectOf = (key: string) => key.slice(0, key.lastIndexOf('-'));

function toTracked(jira: JiraClient, issue: JiraIssue): TrackedIssue {
  return {
    key: issue.key,
    summary: issue.summary,
    ...(issue.status ? { status: issue.status } : {}),
    url: jira.browseUrl(issue.key),
    fixVersions: issue.fixVersions,
  };
}

const toVersion = (v: JiraVersion): TrackerVersion => ({ id: v.id, name: v.name, released: v.released });

/**
 * The release's Jira steps through jira.js (`JiraClient`): keys looked up with one JQL search per
 * 100 keys, the project's fix version found or created, set on issues a few at a time, and
 * released. Every request is retried a bounded number of times — after a 429 as long as its
 * Retry-After says (up to `maxRetryWaitMs`), after a 500 or no answer within the timeout with a
 * doubling delay — and then reported, never retried forever. A 502, 503 or 504 and a dropped
 * connection are jira.js's to retry (the client jiraReleaseTrackerFromConfig gives it); they are
 * not retried here again, which would multiply the tries.
 */
export class JiraReleaseTracker implements ReleaseTracker {
  readonly name = JIRA;
  readonly #jira: JiraClient;
  readonly #project: string;
  readonly #scopeJql: string | undefined;
  readonly #concurrency: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #maxRetryWaitMs: number;
  readonly #log: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  #projectId: Promise<number> | undefined;

  constructor(options: JiraReleaseTrackerOptions) {
    this.#jira = options.jira;
    this.#project = options.project;
    this.#scopeJql = options.scopeJql;
    this.#concurrency = options.concurrency;
    this.#retries = options.retries;
    this.#retryDelayMs = options.retryDelayMs;
    this.#maxRetryWaitMs = options.maxRetryWaitMs;
    this.#log = options.log;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async lookup(keys: readonly string[]): Promise<Map<string, TrackedIssue>> {
    const unique = [...new Set(keys.map((k) => k.toUpperCase()))];
    const found = new Map<string, TrackedIssue>();
    for (let i = 0; i < unique.length; i += KEYS_PER_SEARCH)
      await this.#lookupBatch(unique.slice(i, i + KEYS_PER_SEARCH), found);
    return found;
  }

  /**
   * Jira answers 400 to `key in (...)` when one of the keys does not exist (or dpbot may not see
   * it), naming each such key; the batch is searched again without them.
   */
  async #lookupBatch(batch: readonly string[], found: Map<string, TrackedIssue>): Promise<void> {
    let remaining = batch;
    for (let attempt = 0; remaining.length > 0; attempt++) {
      const jql = `key in (${remaining.map((k) => `"${k}"`).join(', ')})`;
      try {
        const wanted = new Set(remaining);
        // An issue moved to another project answers to its old key under its new one; only the
        // keys asked for can be matched to pull requests.
        for (const issue of await this.#searchAll(jql, KEYS_PER_SEARCH, remaining.length))
          if (wanted.has(issue.key)) found.set(issue.key, toTracked(this.#jira, issue));
        return;
      } catch (error) {
        const unknown =
          error instanceof JiraBadRequestError ? unknownKeys(error.errorMessages) : new Set<string>();
        const left = remaining.filter((k) => !unknown.has(k));
        if (left.length === remaining.length || attempt >= UNKNOWN_KEY_RETRIES) throw error;
        this.#log.debug(
          { unknown: remaining.length - left.length },
          'Jira does not know some keys; searching without them',
        );
        remaining = left;
      }
    }
  }

  async scope(versionName: string): Promise<TrackedIssue[]> {
    const out = new Map<string, TrackedIssue>();
    const version = await this.findVersion(versionName);
    // By id: JQL on a version name needs quoting rules a name may break.
    if (version)
      for (const issue of await this.#searchAll(
        `project = "${this.#project}" AND fixVersion = ${version.id}`,
        100,
        SCOPE_LIMIT,
      ))
        out.set(issue.key, toTracked(this.#jira, issue));
    if (this.#scopeJql)
      for (const issue of await this.#searchAll(this.#scopeJql, 100, SCOPE_LIMIT))
        out.set(issue.key, toTracked(this.#jira, issue));
    return [...out.values()];
  }

  async findVersion(name: string): Promise<TrackerVersion | undefined> {
    const found = await this.#retry(`find version ${name}`, () =>
      this.#jira.findVersion(this.#project, name),
    );
    return found ? toVersion(found) : undefined;
  }

  async ensureVersion(input: { name: string; description: string }): Promise<TrackerVersion> {
    const existing = await this.findVersion(input.name);
    if (existing) return existing;
    const projectId = await this.#projectIdOnce();
    try {
      return toVersion(
        await this.#retry(`create version ${input.name}`, () =>
          this.#jira.createVersion({ projectId, name: input.name, description: input.description }),
        ),
      );
    } catch (error) {
      // Another replica (or a person) created it in the meantime.
      if (
        error instanceof JiraBadRequestError &&
        error.errorMessages.some((m) => /already exists/i.test(m))
      ) {
        const created = await this.findVersion(input.name);
        if (created) return created;
      }
      throw error;
    }
  }

  async assignVersion(version: TrackerVersion, keys: readonly string[]): Promise<AssignResult> {
    const result: AssignResult = { assigned: [], skipped: [], failed: [] };
    const queue: string[] = [];
    for (const key of new Set(keys)) {
      if (projectOf(key) === this.#project) queue.push(key);
      // Versions belong to one project: Jira refuses another project's version on an issue.
      else result.skipped.push({ key, reason: `in project ${projectOf(key)}, not ${this.#project}` });
    }
    let refused: string | undefined;
    const worker = async () => {
      for (let key = queue.shift(); key !== undefined; key = queue.shift()) {
        if (refused) {
          result.skipped.push({ key, reason: refused });
          continue;
        }
        try {
          await this.#retry(`add fix version ${version.name} to ${key}`, () =>
            this.#jira.addFixVersion(key, version.name),
          );
          result.assigned.push(key);
        } catch (error) {
          result.failed.push({ key, error: errorMessage(error) });
          // Credentials refused once are refused for every issue: stop asking.
          if (error instanceof UpstreamError && error.status === 401)
            refused = 'not attempted: Jira refused dpbot’s credentials';
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#concurrency, queue.length) }, worker));
    const byKey = (a: { key: string } | string, b: { key: string } | string) =>
      (typeof a === 'string' ? a : a.key).localeCompare(typeof b === 'string' ? b : b.key, 'en', {
        numeric: true,
      });
    result.assigned.sort(byKey);
    result.skipped.sort(byKey);
    result.failed.sort(byKey);
    return result;
  }

  async markReleased(version: TrackerVersion, releaseDate: string): Promise<TrackerVersion> {
    return toVersion(
      await this.#retry(`release version ${version.name}`, () =>
        this.#jira.updateVersion(version.id, { released: true, releaseDate }),
      ),
    );
  }

  #projectIdOnce(): Promise<number> {
    this.#projectId ??= this.#retry(`read project ${this.#project}`, () =>
      this.#jira.getProject(this.#project),
    ).then(
      (p) => Number(p.id),
      (error: unknown) => {
        this.#projectId = undefined;
        throw error;
      },
    );
    return this.#projectId;
  }

  /** Every page of a search, up to `limit` issues. */
  async #searchAll(jql: string, pageSize: number, limit: number): Promise<JiraIssue[]> {
    const issues: JiraIssue[] = [];
    let token: string | undefined;
    do {
      const page = await this.#retry('search issues', () =>
        this.#jira.searchIssues(jql, { maxResults: pageSize, ...(token ? { nextPageToken: token } : {}) }),
      );
      issues.push(...page.issues);
      token = page.nextPageToken;
    } while (token && issues.length < limit);
    return issues.slice(0, limit);
  }

  async #retry<T>(what: string, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof UpstreamError) || attempt >= this.#retries) throw error;
        let wait: number;
        if (error instanceof JiraRateLimitedError) {
          if (error.retryAfterMs > this.#maxRetryWaitMs)
            throw new UpstreamError(
              JIRA,
              `rate limited when asked to ${what}, and asked to wait ${formatDuration(error.retryAfterMs)} (longer than release.jira.maxRetryWait); not retried`,
              429,
              { cause: error },
            );
          wait = error.retryAfterMs;
        } else if (error.status === 500 || error instanceof JiraNoAnswerError) {
          // jira.js leaves both alone: a 500 it takes for a fault of the request (Jira Cloud answers
          // one for passing faults too), and it has no timeout to notice no answer by.
          wait = this.#retryDelayMs * 2 ** attempt;
        } else throw error;
        this.#log.info({ err: error, attempt: attempt + 1, waitMs: wait }, `Jira: retrying ${what}`);
        await this.#sleep(wait);
      }
    }
  }
}

function unknownKeys(messages: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const message of messages)
    for (const pattern of UNKNOWN_KEY) {
      const m = pattern.exec(message);
      if (m?.[1]) out.add(m[1].toUpperCase());
    }
  return out;
}

/** The Jira tracker when both `jira.url` and `release.jira.project` are set; otherwise undefined. */
export function jiraReleaseTrackerFromConfig(
  settings: JiraReleaseTrackerConfig,
  deps: { jira: JiraClient | undefined; log: Logger },
): ReleaseTracker | undefined {
  if (!deps.jira || !settings.project) return undefined;
  return new JiraReleaseTracker({
    jira: deps.jira.retrying({ attempts: settings.retries + 1, initialDelayMs: settings.retryDelay }),
    project: settings.project,
    scopeJql: settings.scopeJql,
    concurrency: settings.concurrency,
    retries: settings.retries,
    retryDelayMs: settings.retryDelay,
    maxRetryWaitMs: settings.maxRetryWait,
    log: deps.log.child({ integration: 'jira', part: 'release' }),
  });
}
