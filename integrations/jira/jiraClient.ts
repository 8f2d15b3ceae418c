// Whole: tickets, comments, versions and searches all share one error mapping and rate limiting.
import type { SchemaMismatchBehavior } from 'jira.js';
import type { Client } from 'jira.js/core';
import type { Logger } from 'pino';
import { formatDuration } from '../../core/config/duration.ts';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { errorMessage, UpstreamError } from '../../core/errors.ts';
import { outboundStatus, timedOutbound } from '../../core/http/outbound.ts';
import type { AdfDocument } from './adf.ts';
import type { JiraConfig } from './config.ts';

export const JIRA = 'Jira';

/** jira.js, loaded on first use: its schemas take a while to load, and most dpbot processes never call Jira. */
interface JiraLib {
  cloud: typeof import('jira.js/cloud');
  core: typeof import('jira.js/core');
  client: Client;
}

/** Jira said 429: wait `retryAfterMs` before asking again. */
export class JiraRateLimitedError extends UpstreamError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(JIRA, message, 429, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Jira did not answer within `jira.timeout` (jira.js has no timeout of its own to retry on). */
export class JiraNoAnswerError extends UpstreamError {
  constructor(message: string) {
    super(JIRA, message);
  }
}

/**
 * Jira said 400 (a JQL query it will not run, a field it refuses), with every message it gave —
 * a bulk search names each unknown issue key there.
 */
export class JiraBadRequestError extends UpstreamError {
  readonly errorMessages: readonly string[];
  constructor(message: string, errorMessages: readonly string[], options?: { cause?: unknown }) {
    super(JIRA, message, 400, options);
    this.errorMessages = errorMessages;
  }
}

export interface JiraIssue {
  id: string;
  key: string;
  summary: string;
  status: string | undefined;
  fixVersions: string[];
}

export interface JiraVersion {
  id: string;
  name: string;
  released: boolean;
  releaseDate: string | undefined;
}

/** Jira, as dpbot uses it: tickets and comments for tasks, versions and JQL for releases. */
export interface JiraClient {
  /** The issue's page, for links. */
  browseUrl(key: string): string;
  getIssue(key: string): Promise<JiraIssue>;
  createIssue(input: {
    project: string;
    issueType: string;
    summary: string;
    description: AdfDocument;
    labels?: string[];
  }): Promise<{ id: string; key: string }>;
  addComment(key: string, body: AdfDocument): Promise<{ id: string }>;
  /** One page of a JQL search (POST /rest/api/3/search/jql); pass nextPageToken for the next. */
  searchIssues(
    jql: string,
    options?: { maxResults?: number; nextPageToken?: string },
  ): Promise<{ issues: JiraIssue[]; nextPageToken: string | undefined }>;
  createVersion(input: {
    projectId: number;
    name: string;
    description?: string;
    releaseDate?: string;
  }): Promise<JiraVersion>;
  updateVersion(
    id: string,
    changes: { released?: boolean; releaseDate?: string; description?: string; name?: string },
  ): Promise<JiraVersion>;
  /** Adds a fix version (by name) to an issue. */
  addFixVersion(key: string, versionName: string): Promise<void>;
  getProject(key: string): Promise<{ id: string; key: string; name: string }>;
  /** The project's version with exactly this name, if there is one. */
  findVersion(projectKey: string, name: string): Promise<JiraVersion | undefined>;
  /** Which of these project permissions (`CREATE_ISSUES`) dpbot's account has in the project. */
  myPermissions(projectKey: string, permissions: readonly string[]): Promise<Record<string, boolean>>;
  /** The same site with jira.js retrying server errors (see JiraRetry). */
  retrying(retry: JiraRetry): JiraClient;
}

/**
 * jira.js's own retry (its `retry` client option): a 502, 503 or 504 and a dropped connection are
 * asked again after `initialDelayMs`, doubling, `attempts` tries in all. A 429 is not among them:
 * dpbot waits out its Retry-After itself, within a bound (JiraRateLimitedError).
 */
export interface JiraRetry {
  attempts: number;
  initialDelayMs: number;
}

export interface JiraJsClientOptions {
  url: string;
  email?: string | undefined;
  token?: string | undefined;
  timeoutMs: number;
  log: Logger;
  /** What jira.js does when a response does not match its schema (tests: 'throw'). */
  onSchemaMismatch?: SchemaMismatchBehavior;
  /** Unset: one try (tickets and comments are not asked twice: a retried create could make two). */
  retry?: JiraRetry | undefined;
}

const ISSUE_FIELDS = ['summary', 'status', 'fixVersions'];

function toIssue(raw: { id?: string; key?: string; fields?: Record<string, unknown> }): JiraIssue {
  const fields = raw.fields ?? {};
  const status = fields.status as { name?: string } | undefined;
  const versions = (fields.fixVersions as { name?: string }[] | undefined) ?? [];
  return {
    id: raw.id ?? '',
    key: raw.key ?? '',
    summary: typeof fields.summary === 'string' ? fields.summary : '',
    status: status?.name,
    fixVersions: versions.flatMap((v) => (v.name ? [v.name] : [])),
  };
}

function toVersion(raw: {
  id?: string;
  name?: string;
  released?: boolean;
  releaseDate?: string;
}): JiraVersion {
  return {
    id: raw.id ?? '',
    name: raw.name ?? '',
    released: raw.released ?? false,
    releaseDate: raw.releaseDate,
  };
}

/**
 * jira.js (6.x) against a configurable site. jira.js has no per-request timeout, so each call is
 * raced against one: the caller gets a clear error in bounded time, though the request itself is
 * left to finish (or fail) on its own. The timeout bounds a call with jira.js's retries in it.
 */
export class JiraJsClient implements JiraClient {
  readonly #options: JiraJsClientOptions;
  #loading: Promise<JiraLib> | undefined;
  #loaded: JiraLib | undefined;
  readonly #site: string;
  readonly #timeoutMs: number;
  readonly #log: Logger;

  constructor(options: JiraJsClientOptions) {
    this.#site = options.url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log;
    this.#options = options;
  }

  #lib(): Promise<JiraLib> {
    this.#loading ??= Promise.all([import('jira.js/cloud'), import('jira.js/core')]).then(([cloud, core]) => {
      const options = this.#options;
      const token = options.token ?? '';
      const client = core.createClient({
        host: this.#site,
        auth: options.email
          ? { type: 'basic', email: options.email, apiToken: token }
          : { type: 'bearer', token },
        onSchemaMismatch:
          options.onSchemaMismatch ??
          ((report) =>
            this.#log.warn({ report }, 'Jira answered in a shape jira.js does not expect; using it anyway')),
        ...(options.retry
          ? {
              retry: {
                maxAttempts: options.retry.attempts,
                initialDelayMs: options.retry.initialDelayMs,
                backoffFactor: 2,
              },
            }
          : {}),
      });
      this.#loaded = { cloud, core, client };
      return this.#loaded;
    });
    return this.#loading;
  }

  retrying(retry: JiraRetry): JiraClient {
    return new JiraJsClient({ ...this.#options, retry });
  }

  browseUrl(key: string): string {
    return `${this.#site}/browse/${encodeURIComponent(key)}`;
  }

  getIssue(key: string): Promise<JiraIssue> {
    return this.#call(`read ${key}`, async ({ cloud, client }) =>
      toIssue(await cloud.getIssue(client, { issueIdOrKey: key, fields: ISSUE_FIELDS })),
    );
  }

  createIssue(input: {
    project: string;
    issueType: string;
    summary: string;
    description: AdfDocument;
    labels?: string[];
  }): Promise<{ id: string; key: string }> {
    return this.#call(`create an issue in ${input.project}`, async ({ cloud, client }) => {
      const created = await cloud.createIssue(client, {
        fields: {
          project: { key: input.project },
          issuetype: { name: input.issueType },
          summary: input.summary,
          description: input.description,
          ...(input.labels ? { labels: input.labels } : {}),
        },
      });
      return { id: created.id, key: created.key };
    });
  }

  addComment(key: string, body: AdfDocument): Promise<{ id: string }> {
    return this.#call(`comment on ${key}`, async ({ cloud, client }) => {
      const comment = await cloud.addComment(client, { issueIdOrKey: key, body });
      return { id: comment.id ?? '' };
    });
  }

  searchIssues(
    jql: string,
    options: { maxResults?: number; nextPageToken?: string } = {},
  ): Promise<{ issues: JiraIssue[]; nextPageToken: string | undefined }> {
    return this.#call('search issues', async ({ cloud, client }) => {
      const page = await cloud.searchAndReconsileIssuesUsingJqlPost(client, {
        jql,
        fields: ISSUE_FIELDS,
        maxResults: options.maxResults ?? 50,
        ...(options.nextPageToken ? { nextPageToken: options.nextPageToken } : {}),
      });
      return {
        issues: (page.issues ?? []).map(toIssue),
        nextPageToken: page.isLast === false ? (page.nextPageToken ?? undefined) : undefined,
      };
    });
  }

  createVersion(input: {
    projectId: number;
    name: string;
    description?: string;
    releaseDate?: string;
  }): Promise<JiraVersion> {
    return this.#call(`create version ${input.name}`, async ({ cloud, client }) =>
      toVersion(await cloud.createVersion(client, input)),
    );
  }

  updateVersion(
    id: string,
    changes: { released?: boolean; releaseDate?: string; description?: string; name?: string },
  ): Promise<JiraVersion> {
    return this.#call(`update version ${id}`, async ({ cloud, client }) =>
      toVersion(await cloud.updateVersion(client, { id, body: changes })),
    );
  }

  addFixVersion(key: string, versionName: string): Promise<void> {
    return this.#call(`add fix version ${versionName} to ${key}`, ({ cloud, client }) =>
      cloud.editIssue(client, {
        issueIdOrKey: key,
        update: { fixVersions: [{ add: { name: versionName } }] },
      }),
    );
  }

  getProject(key: string): Promise<{ id: string; key: string; name: string }> {
    return this.#call(`read project ${key}`, async ({ cloud, client }) => {
      const project = await cloud.getProject(client, { projectIdOrKey: key });
      return { id: project.id ?? '', key: project.key ?? key, name: project.name ?? key };
    });
  }

  async findVersion(projectKey: string, name: string): Promise<JiraVersion | undefined> {
    // The query matches names and descriptions containing the text; a few pages at most.
    for (let startAt = 0, page = 0; page < 10; page++) {
      const found = await this.#call(`find version ${name} in ${projectKey}`, ({ cloud, client }) =>
        cloud.getProjectVersionsPaginated(client, {
          projectIdOrKey: projectKey,
          query: name,
          startAt,
          maxResults: 50,
        }),
      );
      const values = found.values ?? [];
      const exact = values.find((v) => v.name === name);
      if (exact) return toVersion(exact);
      if (found.isLast !== false || values.length === 0) return undefined;
      startAt += values.length;
    }
    return undefined;
  }

  myPermissions(projectKey: string, permissions: readonly string[]): Promise<Record<string, boolean>> {
    return this.#call(`read dpbot's permissions in ${projectKey}`, async ({ cloud, client }) => {
      const answer = await cloud.getMyPermissions(client, { projectKey, permissions: permissions.join(',') });
      const granted = (answer.permissions ?? {}) as Record<string, { havePermission?: boolean } | undefined>;
      return Object.fromEntries(permissions.map((p) => [p, granted[p]?.havePermission === true]));
    });
  }

  async #call<T>(what: string, run: (lib: JiraLib) => Promise<T>): Promise<T> {
    let lib: JiraLib;
    try {
      lib = await this.#lib();
    } catch (error) {
      throw new UpstreamError(JIRA, `could not load the Jira client: ${errorMessage(error)}`, undefined, {
        cause: error,
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new JiraNoAnswerError(
              `did not answer within ${formatDuration(this.#timeoutMs)} when asked to ${what}; it may be overloaded or unreachable`,
            ),
          ),
        this.#timeoutMs,
      );
    });
    const work = timedOutbound('jira', () => run(lib), outboundStatus);
    // The losing request still settles later; nothing should report it as unhandled.
    work.catch(() => undefined);
    try {
      return await Promise.race([work, timeout]);
    } catch (error) {
      throw this.#translate(error, what);
    } finally {
      clearTimeout(timer);
    }
  }

  #translate(error: unknown, what: string): Error {
    if (error instanceof UpstreamError) return error;
    const core = this.#loaded?.core;
    if (!core)
      return new UpstreamError(JIRA, `could not ${what}: ${errorMessage(error)}`, undefined, {
        cause: error,
      });
    const { isApiError, isAuthError, isForbiddenError, isNetworkError, isNotFoundError, isRateLimitError } =
      core;
    const detail = isApiError(error) ? jiraMessage(error.body) : '';
    const suffix = detail ? `: ${detail}` : '';
    if (isRateLimitError(error)) {
      const wait = error.retryAfterMs ?? 30_000;
      return new JiraRateLimitedError(
        `rate limited when asked to ${what}; retry in ${formatDuration(wait)}`,
        wait,
        {
          cause: error,
        },
      );
    }
    if (isAuthError(error))
      return new UpstreamError(
        JIRA,
        `refused dpbot's credentials (401) when asked to ${what}; check JIRA_API_TOKEN and jira.email`,
        401,
        { cause: error },
      );
    if (isForbiddenError(error))
      return new UpstreamError(JIRA, `dpbot's account may not ${what} (403)${suffix}`, 403, { cause: error });
    if (isNotFoundError(error))
      return new UpstreamError(JIRA, `could not ${what}: not found (404)${suffix}`, 404, { cause: error });
    if (isApiError(error) && error.status === 400)
      return new JiraBadRequestError(
        `rejected the request to ${what} (400)${suffix}`,
        errorMessages(error.body),
        {
          cause: error,
        },
      );
    if (isApiError(error)) {
      const status = error.status;
      return new UpstreamError(
        JIRA,
        status >= 500
          ? `failed (${status}) when asked to ${what}${suffix}`
          : `rejected the request to ${what} (${status})${suffix}`,
        status,
        { cause: error },
      );
    }
    if (isNetworkError(error))
      return new UpstreamError(
        JIRA,
        `cannot reach ${this.#site} to ${what} (${errorMessage(error)})`,
        undefined,
        {
          cause: error,
        },
      );
    return new UpstreamError(JIRA, `could not ${what}: ${errorMessage(error)}`, undefined, { cause: error });
  }
}

/** Every message of Jira's error body, untruncated. */
function errorMessages(body: unknown): string[] {
  if (!body || typeof body !== 'object') return typeof body === 'string' && body ? [body] : [];
  const b = body as { errorMessages?: unknown; errors?: unknown };
  const out = Array.isArray(b.errorMessages)
    ? b.errorMessages.filter((m): m is string => typeof m === 'string')
    : [];
  if (b.errors && typeof b.errors === 'object')
    for (const [field, message] of Object.entries(b.errors)) out.push(`${field}: ${String(message)}`);
  return out;
}

/** Jira's error body: `{errorMessages: [...], errors: {field: message}}`. */
function jiraMessage(body: unknown): string {
  if (!body || typeof body !== 'object') return typeof body === 'string' ? body.slice(0, 200) : '';
  const b = body as { errorMessages?: unknown; errors?: unknown; message?: unknown };
  const parts: string[] = [];
  if (Array.isArray(b.errorMessages))
    parts.push(...b.errorMessages.filter((m): m is string => typeof m === 'string'));
  if (b.errors && typeof b.errors === 'object')
    for (const [field, message] of Object.entries(b.errors)) parts.push(`${field}: ${String(message)}`);
  if (typeof b.message === 'string') parts.push(b.message);
  return parts.join('; ').slice(0, 300);
}

/** Builds the client from `jira.*` and JIRA_API_TOKEN; undefined when `jira.url` is not set. */
export function jiraClientFromConfig(
  config: JiraConfig,
  deps: { env: Env; log: Logger; onSchemaMismatch?: SchemaMismatchBehavior },
): JiraClient | undefined {
  if (!config.url) return undefined;
  return new JiraJsClient({
    url: config.url,
    email: config.email,
    token: readSecret(deps.env, 'JIRA_API_TOKEN'),
    timeoutMs: config.timeout,
    log: deps.log.child({ integration: 'jira' }),
    ...(deps.onSchemaMismatch ? { onSchemaMismatch: deps.onSchemaMismatch } : {}),
  });
}
