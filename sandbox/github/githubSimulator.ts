import { type Handler, type SimRequest, type SimResponse, Simulator } from '../http.ts';
import { type GithubTeamsData, type SimPullRequest, type SimRepository, sha } from './githubData.ts';
import { OrganizationApi, organizationNotFound, organizationOperations } from './organizationApi.ts';
import {
  primaryLimitAnswer,
  type RateLimitResource,
  RateLimitWindow,
  rateLimitHeaders,
  secondaryLimitAnswer,
} from './rateLimits.ts';
import { RepositoryApi } from './repositoryApi.ts';
import { githubError, notFound, rateLimitOverviewJson } from './restJson.ts';

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
  /** Organizations with their members and teams (the directory source reads them). */
  organizations?: GithubTeamsData[];
  /**
   * A classic token's scopes, sent as X-OAuth-Scopes on every answer; unset: the token is
   * fine-grained (or a GitHub App's), and GitHub sends no such header.
   */
  scopes?: readonly string[];
  now?: () => Date;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * GitHub's REST and GraphQL APIs as dpbot's Octokit clients use them: repositories for releases
 * (see RepositoryApi), organizations' teams and members for the directory (see OrganizationApi),
 * and GitHub's failure modes with one rate-limit model (see rateLimits.ts): the primary limit
 * (403 / GraphQL RATE_LIMITED with x-ratelimit-* headers), secondary limits (403 with
 * Retry-After), 502 for a query too slow to finish, and bad credentials.
 */
export class GitHubSimulator extends Simulator {
  readonly token: string | undefined;
  /** Team member listings stop after the first page (no Link rel="next") for these slugs. */
  readonly truncateTeams = new Set<string>();
  /**
   * Repository permissions the token lacks, `<permission> <owner/repo>`: `metadata` (the
   * repository is invisible: 404), `pull_requests`, `contents` (read), `contents:write`.
   * Refused as GitHub refuses a fine-grained token: 403 with X-Accepted-GitHub-Permissions.
   */
  readonly denied = new Set<string>();
  readonly #options: GitHubSimulatorOptions;
  readonly #repos: RepositoryApi;
  readonly #orgs = new Map<string, OrganizationApi>();
  readonly #limit: RateLimitWindow;
  #secondary = 0;
  #secondaryRetryAfter = 1;

  constructor(options: GitHubSimulatorOptions = {}) {
    super('github');
    this.#options = options;
    this.token = options.token;
    this.#limit = new RateLimitWindow({
      limit: options.rateLimit ?? 5000,
      windowMs: options.rateLimitWindowMs ?? 3_600_000,
      now: () => this.#now(),
    });
    this.#repos = new RepositoryApi({
      baseUrl: () => this.url,
      slowPageAbove: options.slowPageAbove,
      now: () => new Date(this.#now()),
    });
    for (const org of options.organizations ?? []) this.addOrganization(org);
    const repos = this.#repos;
    const r = (method: string, pattern: string, handler: Handler) =>
      this.route(method, pattern, (req) => this.#guard(req, handler));
    r('POST', '/graphql', (req) => this.#graphql(req));
    r('GET', '/rate_limit', () => ({ body: rateLimitOverviewJson(this.#limit.info(), this.#now()) }));
    const can =
      (need: string, handler: Handler): Handler =>
      (req) =>
        this.#access(req, need) ?? handler(req);
    r(
      'GET',
      '/repos/:owner/:repo',
      can('metadata', (req) => repos.getRepository(req)),
    );
    r(
      'GET',
      '/repos/:owner/:repo/pulls',
      can('pull_requests', (req) => repos.listPulls(req)),
    );
    r(
      'GET',
      '/repos/:owner/:repo/commits',
      can('contents', (req) => repos.listCommits(req)),
    );
    r('GET', '/repos/:owner/:repo/commits/:sha/pulls', (req) => repos.commitPulls(req));
    r('GET', '/repos/:owner/:repo/pulls/:number/files', (req) => repos.pullFiles(req));
    r(
      'POST',
      '/repos/:owner/:repo/releases',
      can('contents:write', (req) => repos.createRelease(req)),
    );
    // A pull request's comments are its issue's; commenting needs write on issues or pull requests.
    r(
      'POST',
      '/repos/:owner/:repo/issues/:number/comments',
      can('pull_requests:write', (req) => repos.createIssueComment(req)),
    );
    r(
      'GET',
      '/repos/:owner/:repo/issues/:number/comments',
      can('pull_requests', (req) => repos.listIssueComments(req)),
    );
    r('GET', '/orgs/:org/teams', (req) => this.#org(req.params.org)?.teams(req) ?? notFound);
    r(
      'GET',
      '/orgs/:org/teams/:slug/members',
      (req) => this.#org(req.params.org)?.teamMembers(req) ?? notFound,
    );
  }

  /** A permission the token lacks, answered as GitHub answers a fine-grained token. */
  #access(req: SimRequest, need: string): SimResponse | undefined {
    const repo = `${req.params.owner}/${req.params.repo}`.toLowerCase();
    const lacks = (permission: string) =>
      [...this.denied].some((d) => d.toLowerCase() === `${permission} ${repo}`);
    if (lacks('metadata')) return notFound;
    if (!lacks(need)) return undefined;
    const [name, level = 'read'] = need.split(':');
    return {
      ...githubError(403, 'Resource not accessible by personal access token'),
      headers: { 'x-accepted-github-permissions': `${name}=${level}` },
    };
  }

  #now(): number {
    return (this.#options.now?.() ?? new Date()).getTime();
  }

  /** Adds an organization (its teams and members are the live data: tests may change them). */
  addOrganization(data: GithubTeamsData): this {
    this.#orgs.set(data.org.toLowerCase(), new OrganizationApi(data, () => this.url, this.truncateTeams));
    return this;
  }

  /** An organization's data, to change between requests. */
  organization(login: string): GithubTeamsData {
    const org = this.#org(login);
    if (!org) throw new Error(`the GitHub simulator has no organization ${login}`);
    return org.data;
  }

  #org(login: unknown): OrganizationApi | undefined {
    return typeof login === 'string' ? this.#orgs.get(login.toLowerCase()) : undefined;
  }

  addRepository(repo: SimRepository): this {
    this.#repos.repositories.set(repo.fullName.toLowerCase(), repo);
    return this;
  }

  /** The repositories as they are now (tags and releases made since included), for a later simulator to take over. */
  snapshot(): { repositories: SimRepository[] } {
    return { repositories: structuredClone([...this.#repos.repositories.values()]) };
  }

  /** Puts a snapshot's repositories in place of the seeded ones of the same name. */
  restore(snapshot: { repositories: SimRepository[] }): this {
    for (const repo of snapshot.repositories) this.addRepository(structuredClone(repo));
    return this;
  }

  repository(fullName: string): SimRepository {
    const repo = this.#repos.repositories.get(fullName.toLowerCase());
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
    this.#limit.exhaust(resetInMs);
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

  #limitHeaders(resource: RateLimitResource): Record<string, string> {
    const scopes = this.#options.scopes;
    return {
      ...rateLimitHeaders(this.#limit.info(), resource),
      ...(scopes ? { 'x-oauth-scopes': scopes.join(', ') } : {}),
      'x-github-request-id': sha(String(this.requests.length)).slice(0, 16).toUpperCase(),
    };
  }

  async #guard(req: SimRequest, handler: Handler): Promise<SimResponse> {
    if (this.#options.latencyMs) await sleep(this.#options.latencyMs);
    const resource: RateLimitResource = req.path === '/graphql' ? 'graphql' : 'core';
    const token = this.token;
    const given = /^(?:token|bearer) (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    if (token && given !== token) return githubError(401, 'Bad credentials');
    if (this.#secondary > 0) {
      this.#secondary--;
      return secondaryLimitAnswer(this.#secondaryRetryAfter, { headers: this.#limitHeaders(resource) });
    }
    // GET /rate_limit neither counts against the primary limit nor is refused by it
    // (docs.github.com/rest/rate-limit/rate-limit: "Accessing this endpoint does not count
    // against your REST API rate limit").
    const free = req.method === 'GET' && req.path === '/rate_limit';
    if (!free && !this.#limit.take()) {
      const answer = primaryLimitAnswer(this.#limit.info(), resource);
      return { ...answer, headers: { ...this.#limitHeaders(resource), ...answer.headers } };
    }
    const response = await handler(req);
    return { ...response, headers: { ...this.#limitHeaders(resource), ...response.headers } };
  }

  #graphql(req: SimRequest): SimResponse {
    const body = (req.body ?? {}) as { query?: unknown; variables?: Record<string, unknown> };
    if (typeof body.query !== 'string')
      return {
        status: 400,
        body: { message: 'Problems parsing JSON', documentation_url: 'https://docs.github.com/rest' },
      };
    const given = body.variables ?? {};
    // GitHub takes a connection's cursor from whichever variable its `after:` argument names
    // (`$after`, or `$cursor` as graphql.paginate asks); the operations below read it as `after`.
    const afterVariable = /\bafter:\s*\$(\w+)/.exec(body.query)?.[1];
    const vars = afterVariable ? { ...given, after: given[afterVariable] } : given;
    const operation = /^\s*query\s+(\w+)/.exec(body.query)?.[1];
    if (operation !== undefined && organizationOperations.has(operation)) {
      const org = this.#org(vars.org);
      if (!org) return organizationNotFound(vars.org);
      const answer = org.graphql(operation, body.query, vars);
      if (answer) return answer;
    }
    return (
      this.#repos.graphql(operation, vars) ?? {
        body: {
          errors: [
            { message: `the GitHub simulator does not know the operation ${operation ?? '(anonymous)'}` },
          ],
        },
      }
    );
  }
}

/**
 * A GitHub holding one organization and requiring a token, as the directory tests and the sandbox's
 * GitHub-teams part use it.
 */
export class GithubTeamsSimulator extends GitHubSimulator {
  declare readonly token: string;
  readonly #login: string;

  constructor(data: GithubTeamsData, options: { token?: string } = {}) {
    super({ token: options.token ?? 'ghp_simulatedTeamsToken000000000000000', organizations: [data] });
    this.#login = data.org;
  }

  /** The organization's members and teams. */
  get data(): GithubTeamsData {
    return this.organization(this.#login);
  }
}
