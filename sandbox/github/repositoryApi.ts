import type { SimRequest, SimResponse } from '../http.ts';
import {
  type SimIssueComment,
  type SimPullRequest,
  type SimRelease,
  type SimRepository,
  sha,
} from './githubData.ts';
import {
  commitJson,
  diffEntryJson,
  fullRepositoryJson,
  githubError,
  idOf,
  issueCommentJson,
  notFound,
  paged,
  pullRequestJson,
  releaseJson,
  validationFailed,
} from './restJson.ts';

const cursor = (offset: number) => Buffer.from(`cursor:${offset}`).toString('base64');
const offsetOf = (after: unknown) =>
  typeof after === 'string'
    ? Number(Buffer.from(after, 'base64').toString('utf8').replace('cursor:', '')) || 0
    : 0;

/**
 * Repositories' REST and GraphQL answers as dpbot's release client uses them: the
 * merged-pull-request search (GraphQL, paginated), commit resolution, pull-request files, the
 * per-commit REST lookups (for the benchmark's baseline) and releases.
 */
export class RepositoryApi {
  readonly repositories = new Map<string, SimRepository>();
  readonly #baseUrl: () => string;
  /** A search page larger than this takes "too long" and is answered 502, as GitHub does after 10 s. */
  readonly #slowPageAbove: number | undefined;
  readonly #now: () => Date;

  constructor(options: { baseUrl: () => string; slowPageAbove: number | undefined; now: () => Date }) {
    this.#baseUrl = options.baseUrl;
    this.#slowPageAbove = options.slowPageAbove;
    this.#now = options.now;
  }

  /** The repositories' GraphQL operations, by name; undefined for one it does not answer. */
  graphql(operation: string | undefined, vars: Record<string, unknown>): SimResponse | undefined {
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
        if (this.#slowPageAbove !== undefined && first > this.#slowPageAbove)
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
        return undefined;
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

  /** GET /repos/{owner}/{repo} */
  getRepository(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return notFound;
    return { body: fullRepositoryJson(this.#baseUrl(), repo) };
  }

  /** GET /repos/{owner}/{repo}/pulls: the merged ones (closed), newest first, as GitHub's default sort (created, desc) gives them. */
  listPulls(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return notFound;
    const state = req.query.get('state') ?? 'open';
    // Every simulated pull request is merged, so closed: `state=open` (the default) lists none.
    const items = state === 'open' ? [] : [...repo.pullRequests].reverse();
    return paged(
      this.#baseUrl(),
      req,
      items.map((pr) => pullRequestJson(this.#baseUrl(), repo, pr)),
    );
  }

  #repoOf(req: SimRequest): SimRepository | undefined {
    return this.repositories.get(`${req.params.owner}/${req.params.repo}`.toLowerCase());
  }

  /** GET /repos/{owner}/{repo}/commits: the default branch (or `sha`), newest first, from `since`. */
  listCommits(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return notFound;
    const from = req.query.get('sha');
    if (from && from !== repo.defaultBranch && !repo.commits.some((c) => c.oid === from))
      // A sha or branch the repository does not have: the 404 the description lists for this operation.
      return githubError(404, `No commit found for SHA: ${from}`);
    const since = req.query.get('since');
    const after = since ? new Date(since).getTime() : Number.NEGATIVE_INFINITY;
    const upTo = from && from !== repo.defaultBranch ? repo.commits.findIndex((c) => c.oid === from) : -1;
    const history = upTo === -1 ? repo.commits : repo.commits.slice(0, upTo + 1);
    const commits = [...history].reverse().filter((c) => c.date.getTime() >= after);
    return paged(
      this.#baseUrl(),
      req,
      commits.map((c) => commitJson(this.#baseUrl(), repo, c)),
    );
  }

  /** GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls: the pull request whose merge made the commit. */
  commitPulls(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return notFound;
    const prs = repo.pullRequests.filter((p) => p.mergeCommit === req.params.sha);
    return paged(
      this.#baseUrl(),
      req,
      prs.map((p) => pullRequestJson(this.#baseUrl(), repo, p)),
    );
  }

  /** GET /repos/{owner}/{repo}/pulls/{pull_number}/files */
  pullFiles(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    const pr = repo?.pullRequests.find((p) => p.number === Number(req.params.number));
    if (!repo || !pr) return notFound;
    return paged(
      this.#baseUrl(),
      req,
      pr.files.map((filename) => diffEntryJson(this.#baseUrl(), repo, pr, filename)),
    );
  }

  #issueOf(req: SimRequest): { repo: SimRepository; number: number } | undefined {
    const repo = this.#repoOf(req);
    const number = Number(req.params.number);
    // Every simulated issue is a pull request: another number is an issue the repository lacks.
    if (!repo?.pullRequests.some((p) => p.number === number)) return undefined;
    return { repo, number };
  }

  /**
   * POST /repos/{owner}/{repo}/issues/{issue_number}/comments: 201 with the comment; `body` is
   * required and may not be empty (422 Validation Failed); an issue the repository lacks is 404
   * (docs.github.com/rest/issues/comments#create-an-issue-comment).
   */
  createIssueComment(req: SimRequest): SimResponse {
    const found = this.#issueOf(req);
    if (!found) return notFound;
    const body = (req.body ?? {}) as { body?: unknown };
    if (typeof body.body !== 'string' || body.body.trim() === '')
      return validationFailed('IssueComment', [{ field: 'body', code: 'missing_field' }], COMMENT_DOCS);
    found.repo.issueComments ??= [];
    const comments = found.repo.issueComments;
    const comment: SimIssueComment = {
      id: idOf(`comment:${found.repo.fullName}:${found.number}:${comments.length}:${this.#now().getTime()}`),
      issue: found.number,
      body: body.body,
      author: 'dpbot[bot]',
      createdAt: this.#now(),
    };
    comments.push(comment);
    return { status: 201, body: issueCommentJson(this.#baseUrl(), found.repo, comment) };
  }

  /**
   * GET /repos/{owner}/{repo}/issues/{issue_number}/comments: oldest first, paged, `since` an ISO
   * 8601 time (docs.github.com/rest/issues/comments#list-issue-comments).
   */
  listIssueComments(req: SimRequest): SimResponse {
    const found = this.#issueOf(req);
    if (!found) return notFound;
    const since = req.query.get('since');
    const after = since ? new Date(since).getTime() : Number.NEGATIVE_INFINITY;
    const comments = (found.repo.issueComments ?? []).filter(
      (c) => c.issue === found.number && c.createdAt.getTime() >= after,
    );
    return paged(
      this.#baseUrl(),
      req,
      comments.map((c) => issueCommentJson(this.#baseUrl(), found.repo, c)),
    );
  }

  /**
   * POST /repos/{owner}/{repo}/releases. A tag is required and may carry one release; a tag that
   * exists without one gets it, and `target_commitish` is then unused (docs.github.com/rest/releases/releases#create-a-release).
   */
  createRelease(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return notFound;
    const body = (req.body ?? {}) as {
      tag_name?: unknown;
      target_commitish?: unknown;
      name?: unknown;
      body?: unknown;
    };
    const tag = typeof body.tag_name === 'string' ? body.tag_name : '';
    if (tag === '')
      return validationFailed('Release', [{ field: 'tag_name', code: 'missing_field' }], RELEASE_DOCS);
    if (repo.releases.some((r) => r.tag === tag))
      return validationFailed('Release', [{ field: 'tag_name', code: 'already_exists' }], RELEASE_DOCS);
    const target =
      typeof body.target_commitish === 'string' && body.target_commitish !== ''
        ? body.target_commitish
        : repo.defaultBranch;
    const oid =
      repo.tags.get(tag) ??
      (target === repo.defaultBranch ? repo.commits.at(-1)?.oid : target) ??
      sha(`${repo.fullName}@${target}`);
    repo.tags.set(tag, oid);
    const release: SimRelease = {
      id: idOf(`release:${repo.fullName}:${tag}`),
      tag,
      target,
      name: typeof body.name === 'string' ? body.name : null,
      body: typeof body.body === 'string' ? body.body : null,
      commitDate: repo.commits.find((c) => c.oid === oid)?.date ?? this.#now(),
      publishedAt: this.#now(),
    };
    repo.releases.push(release);
    return { status: 201, body: releaseJson(this.#baseUrl(), repo, release) };
  }
}

const COMMENT_DOCS = 'https://docs.github.com/rest/issues/comments#create-an-issue-comment';
const RELEASE_DOCS = 'https://docs.github.com/rest/releases/releases#create-a-release';
