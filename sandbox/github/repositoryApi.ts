import type { SimRequest, SimResponse } from '../http.ts';
import type { SimPullRequest, SimRepository } from './githubData.ts';

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

  constructor(options: { baseUrl: () => string; slowPageAbove: number | undefined }) {
    this.#baseUrl = options.baseUrl;
    this.#slowPageAbove = options.slowPageAbove;
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

  /** GET /repos/{owner}/{repo}: the fields a client reads to tell what it may do. */
  getRepository(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const [owner = '', name = ''] = repo.fullName.split('/');
    return {
      body: {
        id: repo.fullName.length * 1000 + name.length,
        node_id: Buffer.from(`Repository:${repo.fullName}`).toString('base64'),
        name,
        full_name: repo.fullName,
        owner: { login: owner, type: 'Organization' },
        private: true,
        visibility: 'private',
        html_url: `https://github.com/${repo.fullName}`,
        url: `${this.#baseUrl()}/repos/${repo.fullName}`,
        default_branch: repo.defaultBranch,
        permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      },
    };
  }

  /** GET /repos/{owner}/{repo}/pulls: closed ones, newest first (what a probe reads). */
  listPulls(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    if (!repo) return { status: 404, body: { message: 'Not Found' } };
    const base = this.#baseUrl();
    const items = [...repo.pullRequests].reverse().map((pr) => ({
      number: pr.number,
      state: 'closed',
      title: pr.title,
      html_url: `https://github.com/${repo.fullName}/pull/${pr.number}`,
      url: `${base}/repos/${repo.fullName}/pulls/${pr.number}`,
      merged_at: pr.mergedAt.toISOString(),
      merge_commit_sha: pr.mergeCommit,
    }));
    return this.#paged(req, items);
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
      headers.link = `<${this.#baseUrl()}${next.pathname}${next.search}>; rel="next"`;
    }
    return { body: slice, headers };
  }

  listCommits(req: SimRequest): SimResponse {
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

  commitPulls(req: SimRequest): SimResponse {
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

  pullFiles(req: SimRequest): SimResponse {
    const repo = this.#repoOf(req);
    const pr = repo?.pullRequests.find((p) => p.number === Number(req.params.number));
    if (!pr) return { status: 404, body: { message: 'Not Found' } };
    return this.#paged(
      req,
      pr.files.map((filename) => ({ filename, status: 'modified' })),
    );
  }

  createRelease(req: SimRequest): SimResponse {
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
