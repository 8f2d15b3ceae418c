import { type Handler, type SimRequest, type SimResponse, Simulator } from '../http.ts';
import { type SimPullRequest, type SimRepository, sha } from './githubData.ts';

export interface GitHubSimulatorOptions {
  /** The token requests must carry; unset: any (or none). */
  token?: string;
  /** Delay added to every request (the benchmark's network latency). */
  latencyMs?: number;
  /** Requests per rate-limit window (primary limit). */
  rateLimit?: number;
  rateLimitWindowMs?: number;
  /** A search page larger than this takes "too long" and is answered 502, as GitHub does after 10 s. */
  slowPageAbove?: number;
  now?: () => Date;
}

const SECONDARY_MESSAGE =
  'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const cursor = (offset: number) => Buffer.from(`cursor:${offset}`).toString('base64');
const offsetOf = (after: unknown) =>
  typeof after === 'string'
    ? Number(Buffer.from(after, 'base64').toString('utf8').replace('cursor:', '')) || 0
    : 0;

/**
 * GitHub's REST and GraphQL APIs as dpbot's Octokit client uses them: the merged-pull-request
 * search (GraphQL, paginated), commit resolution, pull-request files, the per-commit REST lookups
 * (for the benchmark's baseline), releases, and GitHub's failure modes: the primary rate limit
 * (403 / GraphQL RATE_LIMITED with x-ratelimit-* headers), secondary limits (403 with Retry-After),
 * 502 for a query too slow to finish, and bad credentials.
 */
export class GitHubSimulator extends Simulator {
  readonly repositories = new Map<string, SimRepository>();
  readonly #options: GitHubSimulatorOptions;
  #remaining: number;
  #resetAt: number;
  #secondary = 0;
  #secondaryRetryAfter = 1;

  constructor(options: GitHubSimulatorOptions = {}) {
    super('github');
    this.#options = options;
    this.#remaining = options.rateLimit ?? 5000;
    this.#resetAt = this.#now() + (options.rateLimitWindowMs ?? 3_600_000);
    const r = (method: string, pattern: string, handler: Handler) =>
      this.route(method, pattern, (req) => this.#guard(req, handler));
    r('POST', '/graphql', (req) => this.#graphql(req));
    r('GET', '/rate_limit', () => ({
      body: { resources: { core: this.#limitInfo() }, rate: this.#limitInfo() },
    }));
    r('GET', '/repos/:owner/:repo/commits', (req) => this.#listCommits(req));
    r('GET', '/repos/:owner/:repo/commits/:sha/pulls', (req) => this.#commitPulls(req));
    r('GET', '/repos/:owner/:repo/pulls/:number/files', (req) => this.#pullFiles(req));
    r('POST', '/repos/:owner/:repo/releases', (req) => this.#createRelease(req));
  }

  #now(): number {
    return (this.#options.now?.() ?? new Date()).getTime();
  }

  addRepository(repo: SimRepository): this {
    this.repositories.set(repo.fullName.toLowerCase(), repo);
    return this;
  }

  repository(fullName: string): SimRepository {
    const repo = this.repositories.get(fullName.toLowerCase());
    if (!repo) throw new Error(`the GitHub simulator has no repository ${fullName}`);
    return repo;
  }

  /** Merges a pull request now: it gets a merge commit at the head of the default branch. */
  merge(
    fullName: string,
    pr: Omit<SimPullRequest, 'mergedAt' | 'mergeCommit' | 'base'> & { mergedAt?: Date },
  ) {
    const repo = this.repository(fullName);
    const mergedAt = pr.mergedAt ?? new Date(this.#now());
    const full: SimPullRequest = {
      ...pr,
      base: repo.defaultBranch,
      mergedAt,
      mergeCommit: sha(`${fullName}#${pr.number}`),
    };
    repo.pullRequests.push(full);
    repo.commits.push({
      oid: full.mergeCommit,
      date: mergedAt,
      message: `Merge pull request #${pr.number}`,
      pr: pr.number,
    });
    return full;
  }

  /** Uses up the primary rate limit; it resets after `resetInMs`. */
  exhaustRateLimit(resetInMs: number): void {
    this.#remaining = 0;
    this.#resetAt = this.#now() + resetInMs;
  }

  /** The next `times` requests hit a secondary rate limit, asking to wait `retryAfterSeconds`. */
  secondaryLimit(times: number, retryAfterSeconds = 1): void {
    this.#secondary = times;
    this.#secondaryRetryAfter = retryAfterSeconds;
  }

  /** Requests that reached the API (after latency), by kind, for assertions and the benchmark. */
  countRequests(filter?: (r: { method: string; path: string }) => boolean): number {
    return this.requests.filter((r) => !filter || filter(r)).length;
  }

  #limitInfo() {
    return {
      limit: this.#options.rateLimit ?? 5000,
      remaining: this.#remaining,
      reset: Math.ceil(this.#resetAt / 1000),
      used: (this.#options.rateLimit ?? 5000) - this.#remaining,
    };
  }

  #limitHeaders(resource: string): Record<string, string> {
    const info = this.#limitInfo();
    return {
      'x-ratelimit-limit': String(info.limit),
      'x-ratelimit-remaining': String(info.remaining),
      'x-ratelimit-reset': String(info.reset),
      'x-ratelimit-used': String(info.used),
      'x-ratelimit-resource': resource,
      'x-github-request-id': sha(String(this.requests.length)).slice(0, 16).toUpperCase(),
    };
  }

  async #guard(req: SimRequest, handler: Handler): Promise<SimResponse> {
    if (this.#options.latencyMs) await sleep(this.#options.latencyMs);
    const resource = req.path === '/graphql' ? 'graphql' : 'core';
    const token = this.#options.token;
    const auth = String(req.headers.authorization ?? '');
    if (token && auth !== `token ${token}` && auth !== `bearer ${token}` && auth !== `Bearer ${token}`) {
      return {
        status: 401,
        body: {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        },
      };
    }
    if (this.#now() >= this.#resetAt) {
      this.#remaining = this.#options.rateLimit ?? 5000;
      this.#resetAt = this.#now() + (this.#options.rateLimitWindowMs ?? 3_600_000);
    }
    if (this.#secondary > 0) {
      this.#secondary--;
      return {
        status: 403,
        headers: { ...this.#limitHeaders(resource), 'retry-after': String(this.#secondaryRetryAfter) },
        body: {
          message: SECONDARY_MESSAGE,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
      };
    }
    if (this.#remaining <= 0) {
      const message = 'API rate limit exceeded for user ID 1.';
      if (resource === 'graphql')
        return {
          status: 200,
          headers: this.#limitHeaders(resource),
          body: { errors: [{ type: 'RATE_LIMITED', message }] },
        };
      return {
        status: 403,
        headers: this.#limitHeaders(resource),
        body: {
          message,
          documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
        },
      };
    }
    this.#remaining--;
    const response = await handler(req);
    return { ...response, headers: { ...this.#limitHeaders(resource), ...response.headers } };
  }

  #graphql(req: SimRequest): SimResponse {
    const body = (req.body ?? {}) as { query?: string; variables?: Record<string, unknown> };
    const query = body.query ?? '';
    const vars = body.variables ?? {};
    const operation = /^\s*query\s+(\w+)/.exec(query)?.[1];
    const notFound = (what: string) => ({
      body: {
        data: { repository: null },
        errors: [
          {
            type: 'NOT_FOUND',
            path: ['repository'],
            message: `Could not resolve to a Repository with the name '${what}'.`,
          },
        ],
      },
    });
    const repoName = `${String(vars.owner)}/${String(vars.name)}`;
    const repo = this.repositories.get(repoName.toLowerCase());
    switch (operation) {
      case 'DpbotMergedPullRequests': {
        const q = String(vars.q ?? '');
        const first = Number(vars.first ?? 10);
        if (first > 100)
          return {
            body: {
              errors: [
                {
                  type: 'EXCESSIVE_PAGINATION',
                  message:
                    'Requesting 101 records on the `search` connection exceeds the `first` limit of 100 records.',
                },
              ],
            },
          };
        if (this.#options.slowPageAbove !== undefined && first > this.#options.slowPageAbove)
          return {
            status: 502,
            body: {
              data: null,
              errors: [
                {
                  message:
                    'Something went wrong while executing your query. This may be the result of a timeout, or it could be a GitHub bug. Please include `8C2A:3B0E:1B1C7E4:1C5D7B2:65F0A1B2` when reporting this issue.',
                },
              ],
            },
          };
        const result = this.#search(q);
        const offset = offsetOf(vars.after);
        const page = result.slice(offset, offset + first);
        const data: Record<string, unknown> = {
          search: {
            issueCount: result.length,
            pageInfo: {
              hasNextPage: offset + first < result.length,
              endCursor: page.length ? cursor(offset + page.length) : null,
            },
            nodes: page.map((x) => this.#node(x.repo, x.pr)),
          },
        };
        if (vars.withHead) {
          if (!repo) return notFound(repoName);
          const ref = String(vars.ref ?? '').replace(/^refs\/heads\//, '');
          const headCommit = ref === repo.defaultBranch ? repo.commits.at(-1) : undefined;
          data.repository = {
            ref: headCommit
              ? { target: { oid: headCommit.oid, committedDate: headCommit.date.toISOString() } }
              : null,
          };
        }
        return { body: { data } };
      }
      case 'DpbotResolveCommit': {
        if (!repo) return notFound(repoName);
        const expression = String(vars.expression ?? '');
        const oid =
          (expression === repo.defaultBranch ? repo.commits.at(-1)?.oid : repo.tags.get(expression)) ??
          expression;
        const commit = repo.commits.find((c) => c.oid === oid || (oid.length >= 7 && c.oid.startsWith(oid)));
        return {
          body: {
            data: {
              repository: {
                object: commit ? { oid: commit.oid, committedDate: commit.date.toISOString() } : null,
              },
            },
          },
        };
      }
      case 'DpbotPullRequestFiles': {
        if (!repo) return notFound(repoName);
        const pr = repo.pullRequests.find((p) => p.number === Number(vars.number));
        if (!pr) return { body: { data: { repository: { pullRequest: null } } } };
        const offset = offsetOf(vars.after);
        const page = pr.files.slice(offset, offset + 100);
        return {
          body: {
            data: {
              repository: {
                pullRequest: {
                  files: {
                    pageInfo: {
                      hasNextPage: offset + 100 < pr.files.length,
                      endCursor: cursor(offset + page.length),
                    },
                    nodes: page.map((path) => ({ path })),
                  },
                },
              },
            },
          },
        };
      }
      default:
        return {
          body: {
            errors: [
              { message: `the GitHub simulator does not know the operation ${operation ?? '(anonymous)'}` },
            ],
          },
        };
    }
  }

  /** `repo:o/r is:pr is:merged base:main merged:>=2026-11-04T10:00:00Z`, oldest merge first. */
  #search(q: string): { repo: SimRepository; pr: SimPullRequest }[] {
    const terms = q.split(/\s+/).filter(Boolean);
    const repos = terms
      .filter((t) => t.startsWith('repo:'))
      .map((t) => this.repositories.get(t.slice(5).toLowerCase()));
    const base = terms.find((t) => t.startsWith('base:'))?.slice(5);
    const merged = terms.find((t) => t.startsWith('merged:>='))?.slice(9);
    const since = merged ? new Date(merged).getTime() : Number.NEGATIVE_INFINITY;
    const out: { repo: SimRepository; pr: SimPullRequest }[] = [];
    for (const repo of repos) {
      if (!repo) continue;
      for (const pr of repo.pullRequests)
        if ((!base || pr.base === base) && pr.mergedAt.getTime() >= since) out.push({ repo, pr });
    }
    return out.sort((a, b) => a.pr.mergedAt.getTime() - b.pr.mergedAt.getTime());
  }

  #node(repo: SimRepository, pr: SimPullRequest) {
    return {
      number: pr.number,
      title: pr.title,
      body: pr.body,
      url: `https://github.com/${repo.fullName}/pull/${pr.number}`,
      mergedAt: pr.mergedAt.toISOString(),
      headRefName: pr.branch,
      author: { login: pr.author },
      mergeCommit: { oid: pr.mergeCommit },
      labels: { nodes: pr.labels.map((name) => ({ name })) },
      files: {
        totalCount: pr.files.length,
        pageInfo: { hasNextPage: pr.files.length > 100, endCursor: cursor(Math.min(100, pr.files.length)) },
        nodes: pr.files.slice(0, 100).map((path) => ({ path })),
      },
    };
  }

  #repoOf(req: SimRequest): SimRepository | undefined {
    return this.repositories.get(`${req.params.owner}/${req.params.repo}`.toLowerCase());
  }

  #paged<T>(req: SimRequest, items: T[]): SimResponse {
    const perPage = Math.min(100, Number(req.query.get('per_page') ?? 30) || 30);
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < items.length) {
      const next = new URL(`http://127.0.0.1${req.path}`);
      for (const [k, v] of req.query) next.searchParams.set(k, v);
      next.searchParams.set('page', String(page + 1));
      headers.link = `<${this.url}${next.pathname}${next.search}>; rel="next"`;
    }
    return { body: slice, headers };
  }

  #listCommits(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const since = req.query.get('since');
    const from = since ? new Date(since).getTime() : Number.NEGATIVE_INFINITY;
    const commits = [...repo.commits]
      .reverse()
      .filter((c) => c.date.getTime() >= from)
      .map((c) => ({
        sha: c.oid,
        commit: {
          message: c.message,
          committer: { date: c.date.toISOString() },
          author: { date: c.date.toISOString() },
        },
      }));
    return this.#paged(req, commits);
  }

  #commitPulls(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const prs = repo.pullRequests
      .filter((p) => p.mergeCommit === req.params.sha)
      .map((p) => ({
        number: p.number,
        title: p.title,
        body: p.body,
        html_url: `https://github.com/${repo.fullName}/pull/${p.number}`,
        user: { login: p.author },
        labels: p.labels.map((name) => ({ name })),
        head: { ref: p.branch },
        base: { ref: p.base },
        merged_at: p.mergedAt.toISOString(),
        merge_commit_sha: p.mergeCommit,
      }));
    return { body: prs };
  }

  #pullFiles(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    const pr = repo?.pullRequests.find((p) => p.number === Number(req.params.number));
    if (!pr) return { status: 404, body: { message: 'Not Found' } };
    return this.#paged(
      req,
      pr.files.map((filename) => ({ filename, status: 'modified' })),
    );
  }

  #createRelease(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const body = (req.body ?? {}) as {
      tag_name?: string;
      target_commitish?: string;
      name?: string;
      body?: string;
    };
    if (!body.tag_name)
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
        },
      };
    if (repo.tags.has(body.tag_name))
      return {
        status: 422,
        body: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
        },
      };
    repo.tags.set(body.tag_name, body.target_commitish ?? repo.commits.at(-1)?.oid ?? '');
    const id = repo.tags.size;
    return {
      status: 201,
      body: {
        id,
        tag_name: body.tag_name,
        target_commitish: body.target_commitish,
        name: body.name,
        body: body.body,
        html_url: `https://github.com/${repo.fullName}/releases/tag/${body.tag_name}`,
      },
    };
  }
}
