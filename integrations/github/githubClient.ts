import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { InputError, UpstreamError } from '../../core/errors.ts';
import type { GitHubConfig } from './config.ts';
import type { GitHubOctokit, GitHubOctokitOptions } from './octokit.ts';
import { statusOf, timedOut } from './octokitErrors.ts';
import { MERGED_PULL_REQUESTS_QUERY, PULL_REQUEST_FILES_QUERY, RESOLVE_COMMIT_QUERY } from './queries.ts';

export interface Commit {
  oid: string;
  committedDate: Date;
}

export interface MergedPullRequest {
  number: number;
  title: string;
  body: string;
  url: string;
  author: string | null;
  branch: string;
  mergedAt: Date;
  mergeCommit: string | null;
  labels: string[];
  files: string[];
}

export interface MergedSinceQuery {
  repository: string;
  branch: string;
  /** Pull requests merged at or after this moment. */
  since: Date;
  /** Whether changed paths are needed (monorepos); a PR touching more than 100 files then costs more requests. */
  needAllFiles: boolean;
  /** Stops the reading (no further request is sent), e.g. when a sibling read has failed. */
  signal?: AbortSignal;
}

export interface MergedSince {
  /** The branch head when the first page was read: the revision a release ships. */
  head: Commit;
  pullRequests: MergedPullRequest[];
  /** GitHub requests this took. */
  requests: number;
}

/** What a token is and has left: `GET /rate_limit`, which costs nothing. */
export interface TokenReport {
  /** A classic token's (or OAuth app's) scopes; undefined for a fine-grained token or a GitHub App. */
  scopes: string[] | undefined;
  core: { limit: number; remaining: number; reset: Date };
  graphql: { limit: number; remaining: number; reset: Date } | undefined;
}

/** Whether one kind of request is allowed, and what GitHub says it needs when not. */
export interface AccessProbe {
  ok: boolean;
  status: number | undefined;
  /** X-Accepted-GitHub-Permissions (fine-grained) or X-Accepted-OAuth-Scopes (classic), as sent. */
  needs: string | undefined;
  message: string | undefined;
}

export interface RepositoryAccess {
  /** The token sees the repository at all (GitHub answers 404 for one it may not see). */
  visible: boolean;
  private: boolean | undefined;
  pullRequests: AccessProbe;
  contents: AccessProbe;
  /** Creating releases; checked only when asked. */
  releases: AccessProbe | undefined;
  /** Commenting on pull requests (production notices); checked only when asked and a pull request exists. */
  comments?: AccessProbe | undefined;
}

/** What the release needs from GitHub. */
export interface GitHubClient {
  /** The commit a ref names (a sha, a tag or a branch), with its date. */
  resolveCommit(repository: string, ref: string): Promise<Commit>;
  mergedPullRequests(query: MergedSinceQuery): Promise<MergedSince>;
  createRelease(input: {
    repository: string;
    tag: string;
    revision: string;
    name: string;
    body: string;
  }): Promise<{ url: string }>;
  /** Comments on an issue or pull request (POST /repos/{owner}/{repo}/issues/{number}/comments). */
  commentOnIssue(repository: string, number: number, body: string): Promise<{ id: number; url: string }>;
  /**
   * The first comment on an issue or pull request whose body contains `marker`, all pages read:
   * how a notice whose sending was cut short finds out whether it was posted.
   */
  findIssueComment(
    repository: string,
    number: number,
    marker: string,
  ): Promise<{ id: number; url: string } | undefined>;
  tokenReport(): Promise<TokenReport>;
  /**
   * What the token may do in the repository: read pull requests and contents, and (with
   * `releases`) create releases, proven by a creation GitHub must refuse as invalid (an empty tag
   * name), so nothing is created: GitHub checks permissions before it validates.
   */
  repositoryAccess(
    repository: string,
    options: { releases: boolean; comments?: boolean },
  ): Promise<RepositoryAccess>;
}

interface PullRequestNode {
  number?: number;
  title?: string;
  body?: string;
  url?: string;
  mergedAt?: string | null;
  headRefName?: string;
  author?: { login: string } | null;
  mergeCommit?: { oid: string } | null;
  labels?: { nodes: { name: string }[] };
  files?: { totalCount: number; pageInfo?: { endCursor: string | null }; nodes: { path: string }[] } | null;
}

interface MergedPage {
  repository?: { ref: { target: { oid: string; committedDate?: string } } | null } | null;
  search: {
    issueCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: PullRequestNode[];
  };
}

interface FilesPage {
  repository: {
    pullRequest: {
      files: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; nodes: { path: string }[] };
    } | null;
  } | null;
}

/** GitHub's search returns at most 1,000 results for one query. */
const SEARCH_CAP = 1000;
const PAGE = 100;
const SMALLEST_PAGE = 10;

const isoSeconds = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * GitHub's search for the pull requests merged into a branch since a moment: repository,
 * type, state and base qualifiers, `merged:>=` with an ISO 8601 time to the second in UTC, and an
 * order that does not reshuffle between pages.
 */
export function mergedSearchQuery(query: Pick<MergedSinceQuery, 'repository' | 'branch' | 'since'>): string {
  const q = `repo:${query.repository} is:pr is:merged base:${query.branch} merged:>=${isoSeconds(query.since)} sort:created-asc`;
  if (q.length > SEARCH_QUERY_MAX)
    throw new InputError(
      `GitHub's search takes at most ${SEARCH_QUERY_MAX} characters, and the one for ${query.repository} branch ${query.branch} has ${q.length}: give the repository's release branch a shorter name`,
    );
  return q;
}

/** GitHub refuses longer search queries. */
const SEARCH_QUERY_MAX = 256;

function split(repository: string): { owner: string; name: string } {
  const [owner = '', name = ''] = repository.split('/');
  return { owner, name };
}

/** Octokit's errors as dpbot's: which system, what it said, the status. */
function upstream(error: unknown, what: string): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const timeout = timedOut(error);
  if (timeout) return new UpstreamError('GitHub', `${what}: ${timeout.message}`, undefined, { cause: error });
  const status = statusOf(error);
  const graphqlErrors =
    typeof error === 'object' && error !== null && 'errors' in error && Array.isArray(error.errors)
      ? (error.errors as { type?: string; message?: string }[])
      : undefined;
  if (graphqlErrors?.some((e) => e.type === 'NOT_FOUND'))
    return new UpstreamError('GitHub', `${what}: not found, or not visible to the GITHUB_TOKEN`, 404, {
      cause: error,
    });
  const message = error instanceof Error ? error.message : String(error);
  return new UpstreamError(
    'GitHub',
    `${what}: ${status ? `HTTP ${status}, ` : ''}${message.slice(0, 300)}`,
    status,
    { cause: error },
  );
}

export interface GitHubDeps {
  env: Env;
  log: Logger;
}

/**
 * The Octokit-backed client. Reads are GraphQL: one search query per 100 merged pull requests of a
 * repository brings titles, bodies, branches, labels and changed paths together, where the REST
 * search API would need another request per pull request for its files. Its reader runs those
 * queries with bounded concurrency and no spacing; its writer (releases) keeps the throttling
 * plugin's spacing for writes (see createGitHubOctokit).
 */
export class OctokitGitHubClient implements GitHubClient {
  readonly #readerOptions: GitHubOctokitOptions;
  readonly #writerOptions: GitHubOctokitOptions;
  #octokits: Promise<{ reader: GitHubOctokit; writer: GitHubOctokit }> | undefined;

  constructor(options: {
    apiUrl: string;
    token: string | undefined;
    concurrency: number;
    /** Longest wait for one request (default 30 s). */
    timeoutMs?: number;
    /** Writes spaced as GitHub asks (default); false only in front of a simulator. */
    spaceWrites?: boolean;
    log: Logger;
  }) {
    const common = {
      apiUrl: options.apiUrl,
      token: options.token,
      userAgent: 'dpbot',
      timeoutMs: options.timeoutMs ?? 30_000,
      log: options.log.child({ integration: 'github' }),
    };
    this.#readerOptions = {
      ...common,
      purpose: 'read',
      readConcurrency: options.concurrency,
      throttleId: 'dpbot-reader',
    };
    this.#writerOptions = {
      ...common,
      purpose: 'write',
      spaced: options.spaceWrites ?? true,
      throttleId: 'dpbot-writer',
    };
  }

  /** Octokit, loaded at the first call: a dpbot that never calls GitHub never loads it. */
  #open(): Promise<{ reader: GitHubOctokit; writer: GitHubOctokit }> {
    this.#octokits ??= import('./octokit.ts').then(({ createGitHubOctokit }) => ({
      reader: createGitHubOctokit(this.#readerOptions),
      writer: createGitHubOctokit(this.#writerOptions),
    }));
    return this.#octokits;
  }

  async resolveCommit(repository: string, ref: string): Promise<Commit> {
    const { reader } = await this.#open();
    const { owner, name } = split(repository);
    let data: { repository: { object: { oid?: string; committedDate?: string } | null } | null };
    try {
      data = await reader.graphql(RESOLVE_COMMIT_QUERY, { owner, name, expression: ref });
    } catch (error) {
      throw upstream(error, `resolving ${ref} in ${repository}`);
    }
    const object = data.repository?.object;
    if (!object?.oid || !object.committedDate)
      throw new InputError(`"${ref}" is not a commit, tag or branch of ${repository}`);
    return { oid: object.oid, committedDate: new Date(object.committedDate) };
  }

  async mergedPullRequests(query: MergedSinceQuery): Promise<MergedSince> {
    const { reader } = await this.#open();
    const { owner, name } = split(query.repository);
    // Sorted by creation so the pages do not reshuffle between requests (best match, the
    // default order, may).
    const q = mergedSearchQuery(query);
    let requests = 0;
    let head: Commit | undefined;
    let after: string | null = null;
    let first = PAGE;
    const found: MergedPullRequest[] = [];
    const incomplete: { pr: MergedPullRequest; after: string | null }[] = [];
    // By hand, not graphql.paginate: the page size shrinks after a 502 (see MERGED_PULL_REQUESTS_QUERY).
    for (let page = 0; page < SEARCH_CAP / SMALLEST_PAGE; page++) {
      let data: MergedPage;
      try {
        requests++;
        data = await reader.graphql<MergedPage>(MERGED_PULL_REQUESTS_QUERY, {
          owner,
          name,
          ref: `refs/heads/${query.branch}`,
          q,
          first,
          after,
          withHead: head === undefined,
          // 502/504 means the query was too slow for GitHub's 10 s limit: a smaller page, not the
          // same query again, is what helps.
          request: { retries: 0, ...(query.signal ? { signal: query.signal } : {}) },
        });
      } catch (error) {
        const status = statusOf(error);
        if ((status === 502 || status === 504) && first > SMALLEST_PAGE) {
          first = Math.max(SMALLEST_PAGE, Math.floor(first / 2));
          continue;
        }
        throw upstream(error, `reading pull requests merged into ${query.repository}@${query.branch}`);
      }
      if (head === undefined) {
        const target = data.repository?.ref?.target;
        if (!target?.committedDate)
          throw new UpstreamError(
            'GitHub',
            `${query.repository} has no branch ${query.branch} (or the token cannot see it)`,
            404,
          );
        head = { oid: target.oid, committedDate: new Date(target.committedDate) };
      }
      if (data.search.issueCount > SEARCH_CAP)
        throw new InputError(
          `${data.search.issueCount} pull requests were merged into ${query.repository} since ${isoSeconds(query.since)}; GitHub's search returns at most ${SEARCH_CAP}. Start from a later --since.`,
        );
      for (const node of data.search.nodes) {
        if (node.number === undefined || !node.mergedAt) continue;
        const pr: MergedPullRequest = {
          number: node.number,
          title: node.title ?? '',
          body: node.body ?? '',
          url: node.url ?? '',
          author: node.author?.login ?? null,
          branch: node.headRefName ?? '',
          mergedAt: new Date(node.mergedAt),
          mergeCommit: node.mergeCommit?.oid ?? null,
          labels: node.labels?.nodes.map((l) => l.name) ?? [],
          files: node.files?.nodes.map((f) => f.path) ?? [],
        };
        found.push(pr);
        if ((node.files?.totalCount ?? 0) > pr.files.length)
          incomplete.push({ pr, after: node.files?.pageInfo?.endCursor ?? null });
      }
      if (!data.search.pageInfo.hasNextPage) break;
      after = data.search.pageInfo.endCursor;
    }
    if (head === undefined) throw new UpstreamError('GitHub', `no answer for ${query.repository}`);
    if (query.needAllFiles)
      for (const { pr, after } of incomplete)
        requests += await this.#moreFiles(owner, name, pr, after, query.signal);
    // A pull request merged between the head read and the search belongs to the next refresh.
    const until = head.committedDate.getTime();
    const pullRequests = found
      .filter((pr) => pr.mergedAt.getTime() <= until)
      .sort((a, b) => a.mergedAt.getTime() - b.mergedAt.getTime() || a.number - b.number);
    return { head, pullRequests, requests };
  }

  /** The rest of the files of a pull request that changed more than 100; returns the requests made. */
  async #moreFiles(
    owner: string,
    name: string,
    pr: MergedPullRequest,
    from: string | null,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    const { reader } = await this.#open();
    let requests = 0;
    const files: string[] = from ? [...pr.files] : [];
    const pages = reader.graphql.paginate
      .iterator<FilesPage>(PULL_REQUEST_FILES_QUERY, {
        owner,
        name,
        number: pr.number,
        cursor: from,
        ...(signal ? { request: { signal } } : {}),
      })
      [Symbol.asyncIterator]();
    // 30 pages of 100: the most GitHub lists of a pull request's files.
    for (let page = 0; page < 30; page++) {
      requests++;
      let next: IteratorResult<FilesPage>;
      try {
        next = await pages.next();
      } catch (error) {
        // A pull request gone (no pageInfo in the answer): what was read stands.
        if (error instanceof Error && error.name === 'MissingPageInfo') break;
        throw upstream(error, `reading the files of ${owner}/${name}#${pr.number}`);
      }
      if (next.done) break;
      const page_ = next.value.repository?.pullRequest?.files;
      if (!page_) break;
      files.push(...page_.nodes.map((f) => f.path));
      if (!page_.pageInfo.hasNextPage) break;
    }
    pr.files = files;
    return requests;
  }

  async createRelease(input: {
    repository: string;
    tag: string;
    revision: string;
    name: string;
    body: string;
  }): Promise<{ url: string }> {
    const { writer } = await this.#open();
    const { owner, name } = split(input.repository);
    try {
      const response = await writer.rest.repos.createRelease({
        owner,
        repo: name,
        tag_name: input.tag,
        target_commitish: input.revision,
        name: input.name,
        body: input.body,
      });
      return { url: response.data.html_url };
    } catch (error) {
      throw upstream(error, `creating release ${input.tag} in ${input.repository}`);
    }
  }

  async commentOnIssue(
    repository: string,
    number: number,
    body: string,
  ): Promise<{ id: number; url: string }> {
    const { writer } = await this.#open();
    const { owner, name } = split(repository);
    try {
      const response = await writer.rest.issues.createComment({
        owner,
        repo: name,
        issue_number: number,
        body,
      });
      return { id: response.data.id, url: response.data.html_url };
    } catch (error) {
      throw upstream(error, `commenting on ${repository}#${number}`);
    }
  }

  async findIssueComment(
    repository: string,
    number: number,
    marker: string,
  ): Promise<{ id: number; url: string } | undefined> {
    const { reader } = await this.#open();
    const { owner, name } = split(repository);
    try {
      for await (const page of reader.paginate.iterator(reader.rest.issues.listComments, {
        owner,
        repo: name,
        issue_number: number,
        per_page: 100,
      })) {
        const found = page.data.find((c) => c.body?.includes(marker));
        if (found) return { id: found.id, url: found.html_url };
      }
      return undefined;
    } catch (error) {
      throw upstream(error, `reading the comments of ${repository}#${number}`);
    }
  }

  async tokenReport(): Promise<TokenReport> {
    const { reader } = await this.#open();
    let response: Awaited<ReturnType<GitHubOctokit['rest']['rateLimit']['get']>>;
    try {
      response = await reader.rest.rateLimit.get();
    } catch (error) {
      throw upstream(error, 'reading the rate limit');
    }
    const scopes = response.headers['x-oauth-scopes'];
    const window = (w: { limit: number; remaining: number; reset: number }) => ({
      limit: w.limit,
      remaining: w.remaining,
      reset: new Date(w.reset * 1000),
    });
    const graphql = response.data.resources.graphql;
    return {
      scopes:
        typeof scopes === 'string'
          ? scopes
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : undefined,
      core: window(response.data.resources.core),
      graphql: graphql ? window(graphql) : undefined,
    };
  }

  async repositoryAccess(
    repository: string,
    options: { releases: boolean; comments?: boolean },
  ): Promise<RepositoryAccess> {
    const { reader } = await this.#open();
    const { owner, name: repo } = split(repository);
    let isPrivate: boolean | undefined;
    try {
      const found = await reader.rest.repos.get({ owner, repo });
      isPrivate = found.data.private;
    } catch (error) {
      if (statusOf(error) !== 404) throw upstream(error, `reading ${repository}`);
      const hidden = { ok: false, status: 404, needs: needsOf(error), message: 'Not Found' };
      return {
        visible: false,
        private: undefined,
        pullRequests: hidden,
        contents: hidden,
        releases: undefined,
      };
    }
    let pullRequest: number | undefined;
    const pullRequests = await probe(async () => {
      const listed = await reader.rest.pulls.list({ owner, repo, state: 'closed', per_page: 1 });
      pullRequest = listed.data[0]?.number;
    });
    const contents = await probe(() => reader.rest.repos.listCommits({ owner, repo, per_page: 1 }));
    const releases = options.releases
      ? await probe(
          // Through the reader, unspaced: a probe GitHub refuses creates nothing.
          () => reader.rest.repos.createRelease({ owner, repo, tag_name: '' }),
          // Validation Failed: the request was allowed, and refused only for its empty tag name.
          [422],
        )
      : undefined;
    const number = pullRequest;
    const comments =
      options.comments && number !== undefined
        ? await probe(
            () => reader.rest.issues.createComment({ owner, repo, issue_number: number, body: '' }),
            // As for releases: allowed, and refused only for its empty body, so nothing is posted.
            [422],
          )
        : undefined;
    return { visible: true, private: isPrivate, pullRequests, contents, releases, comments };
  }
}

/** The header GitHub names what a request needs in, when it refused it. */
function needsOf(error: unknown): string | undefined {
  const headers =
    typeof error === 'object' && error !== null && 'response' in error
      ? (error.response as { headers?: Record<string, string | undefined> } | undefined)?.headers
      : undefined;
  return headers?.['x-accepted-github-permissions'] || headers?.['x-accepted-oauth-scopes'] || undefined;
}

/** A request's outcome as a probe: allowed, or refused with what GitHub said it needs. */
async function probe(
  request: () => Promise<unknown>,
  allowedStatuses: readonly number[] = [],
): Promise<AccessProbe> {
  try {
    await request();
    return { ok: true, status: 200, needs: undefined, message: undefined };
  } catch (error) {
    const status = statusOf(error);
    if (status === undefined || status >= 500 || status === 401) throw error;
    if (allowedStatuses.includes(status)) return { ok: true, status, needs: undefined, message: undefined };
    return {
      ok: false,
      status,
      needs: needsOf(error),
      message: error instanceof Error ? error.message.slice(0, 200) : String(error),
    };
  }
}

/** The GitHub client from its configuration; the token comes from GITHUB_TOKEN (or GITHUB_TOKEN_FILE). */
export function githubFromConfig(config: GitHubConfig, deps: GitHubDeps): GitHubClient {
  return new OctokitGitHubClient({
    apiUrl: config.apiUrl,
    token: readSecret(deps.env, 'GITHUB_TOKEN'),
    concurrency: config.concurrency,
    timeoutMs: config.timeout,
    spaceWrites: config.spaceWrites,
    log: deps.log,
  });
}
