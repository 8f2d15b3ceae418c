import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamError } from '../../core/errors.ts';
import { OctokitGitHubClient } from '../../integrations/github/githubClient.ts';
import { GithubTeamsClient } from '../../integrations/github/githubTeamsClient.ts';
import { createGitHubOctokit } from '../../integrations/github/octokit.ts';
import { buildRepository, generatePullRequests } from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import { githubSecondaryRateLimitFault } from '../../sandbox/github/rateLimits.ts';
import type { SimExchange } from '../../sandbox/http.ts';
import { githubRestChecker } from './checkers/githubRest.ts';

/**
 * GitHub's OpenAPI description (`@octokit/openapi`) is the judge of every REST request dpbot's real
 * clients send to the simulator and of every answer the simulator gives, errors included.
 */
const TOKEN = 'ghs-contract';
const log = pino({ level: 'silent' });
const members = Array.from({ length: 130 }, (_, i) => ({
  login: `member-${String(i + 1).padStart(3, '0')}`,
}));
const sim = new GitHubSimulator({
  token: TOKEN,
  scopes: ['repo', 'read:org'],
  organizations: [
    {
      org: 'acme',
      members: [{ login: 'ada-l', name: 'Ada' }, ...members],
      teams: [
        { slug: 'data-platform', name: 'Data Platform', members: ['ada-l'] },
        { slug: 'oncall', parent: 'data-platform', members: members.map((m) => m.login) },
        ...Array.from({ length: 105 }, (_, i) => ({ slug: `squad-${i + 1}`, members: [] })),
      ],
    },
  ],
});
const exchanges = sim.recordExchanges();
const rest = (): SimExchange[] => exchanges.filter((e) => githubRestChecker.accepts(sim.name, e));

const client = (token = TOKEN) =>
  new OctokitGitHubClient({ apiUrl: sim.url, token, concurrency: 2, timeoutMs: 5000, log });
const teams = () => new GithubTeamsClient({ apiUrl: sim.url, token: TOKEN, maxRetries: 0, log });
const signal = () => AbortSignal.timeout(20_000);

beforeAll(async () => {
  sim.addRepository(
    buildRepository(
      'acme/orders',
      generatePullRequests('acme/orders', {
        count: 4,
        start: new Date('2026-11-02T09:00:00Z'),
        spacingMs: 3_600_000,
      }),
    ),
  );
  await sim.start();
});
afterAll(() => sim.stop());

describe("dpbot's GitHub clients and the simulator, held to GitHub's OpenAPI description", () => {
  it('every REST request and answer of every operation dpbot uses keeps to the description', async () => {
    // dpbot doctor: the token, then what it may do in each repository.
    const report = await client().tokenReport();
    expect(report.scopes).toEqual(['repo', 'read:org']);
    expect(report.core.limit).toBe(5000);
    const access = await client().repositoryAccess('acme/orders', { releases: true });
    expect(access).toMatchObject({ visible: true, private: true });
    expect([access.pullRequests.ok, access.contents.ok, access.releases?.ok]).toEqual([true, true, true]);
    expect((await client().repositoryAccess('acme/missing', { releases: true })).visible).toBe(false);
    sim.denied.add('pull_requests acme/orders').add('contents:write acme/orders');
    const refused = await client().repositoryAccess('acme/orders', { releases: true });
    sim.denied.clear();
    expect(refused.pullRequests).toMatchObject({ ok: false, status: 403, needs: 'pull_requests=read' });
    expect(refused.releases).toMatchObject({ ok: false, status: 403, needs: 'contents=write' });

    // The release: created once; the same tag again is refused (422), as is a missing repository (404).
    const created = await client().createRelease({
      repository: 'acme/orders',
      tag: 'v2026.11.04',
      revision: sim.repository('acme/orders').commits.at(-1)?.oid ?? 'main',
      name: 'Release 2026-11-04',
      body: '- add CSV export',
    });
    expect(created.url).toBe('https://github.com/acme/orders/releases/tag/v2026.11.04');
    const again = client().createRelease({
      repository: 'acme/orders',
      tag: 'v2026.11.04',
      revision: 'main',
      name: 'Release 2026-11-04',
      body: '',
    });
    await expect(again).rejects.toBeInstanceOf(UpstreamError);
    await expect(again).rejects.toMatchObject({ status: 422 });
    await expect(
      client().createRelease({ repository: 'acme/gone', tag: 'v1', revision: 'main', name: 'v1', body: '' }),
    ).rejects.toMatchObject({ status: 404 });

    // Production notices: a comment on a pull request (201), found again by its marker over pages;
    // an empty body is refused (422), an issue the repository lacks is 404.
    const pr = sim.repository('acme/orders').pullRequests[0]?.number ?? 0;
    for (const n of [1, 2]) await client().commentOnIssue('acme/orders', pr, `earlier comment ${n}`);
    const comment = await client().commentOnIssue('acme/orders', pr, 'Running in production <!-- mark-1 -->');
    expect(comment.url).toBe(`https://github.com/acme/orders/pull/${pr}#issuecomment-${comment.id}`);
    expect(await client().findIssueComment('acme/orders', pr, 'mark-1')).toEqual(comment);
    expect(await client().findIssueComment('acme/orders', pr, 'mark-2')).toBeUndefined();
    await expect(client().commentOnIssue('acme/orders', pr, '')).rejects.toMatchObject({ status: 422 });
    await expect(client().commentOnIssue('acme/orders', 99_999, 'x')).rejects.toMatchObject({ status: 404 });
    await expect(client().findIssueComment('acme/orders', 99_999, 'x')).rejects.toMatchObject({
      status: 404,
    });

    // The directory: teams and members, over more than one page of each.
    const listed = await teams().listTeams('acme', signal());
    expect(listed).toHaveLength(107);
    expect(listed.find((t) => t.slug === 'oncall')?.parentSlug).toBe('data-platform');
    expect(await teams().listTeamMembers('acme', 'oncall', signal())).toHaveLength(130);
    await expect(teams().listTeamMembers('acme', 'nobody', signal())).rejects.toMatchObject({ status: 404 });

    // Rate limits and credentials: GitHub's answers for any request.
    sim.exhaustRateLimit(3_600_000);
    await expect(client().tokenReport()).resolves.toMatchObject({ core: { remaining: 0 } });
    await expect(client().repositoryAccess('acme/orders', { releases: false })).rejects.toMatchObject({
      status: 403,
    });
    sim.exhaustRateLimit(0);
    sim.secondaryLimit(1, 1);
    expect(await teams().listTeams('acme', signal())).toHaveLength(107);
    sim.inject(githubSecondaryRateLimitFault(1, { path: /\/members$/ }));
    // A parent team lists its child teams' members too.
    expect(await teams().listTeamMembers('acme', 'data-platform', signal())).toHaveLength(131);
    await expect(client('ghs-wrong').tokenReport()).rejects.toMatchObject({ status: 401 });

    // The benchmark's per-commit baseline (bench/release.bench.ts) reads commits, the pull request
    // of each, and its files.
    const octokit = createGitHubOctokit({
      apiUrl: sim.url,
      token: TOKEN,
      userAgent: 'dpbot-contract',
      purpose: 'read',
      throttleId: 'dpbot-contract',
      log,
    });
    const commits = await octokit.paginate(octokit.rest.repos.listCommits, {
      owner: 'acme',
      repo: 'orders',
      sha: 'main',
      since: '2026-11-01T00:00:00Z',
      per_page: 2,
    });
    expect(commits).toHaveLength(5); // the merges of the four pull requests, and the root commit
    const head = commits[0]?.sha ?? '';
    const pulls = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
      owner: 'acme',
      repo: 'orders',
      commit_sha: head,
    });
    expect(pulls.data).toHaveLength(1);
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner: 'acme',
      repo: 'orders',
      pull_number: pulls.data[0]?.number ?? 0,
      per_page: 100,
    });
    expect(files.length).toBeGreaterThan(0);
    // The comments of a pull request, a page at a time, oldest first.
    const comments = await octokit.paginate(octokit.rest.issues.listComments, {
      owner: 'acme',
      repo: 'orders',
      issue_number: pr,
      per_page: 1,
    });
    expect(comments.map((c) => c.body)).toEqual([
      'earlier comment 1',
      'earlier comment 2',
      'Running in production <!-- mark-1 -->',
    ]);

    const statuses = new Set(rest().map((e) => e.status));
    expect([...statuses].sort()).toEqual([200, 201, 401, 403, 404, 422, 429]);
    expect(rest().flatMap((e) => githubRestChecker.check(e))).toEqual([]);
  });
});

describe('the GitHub REST checker', () => {
  // Answers of its own to plant violations in, so that this part runs alone too.
  beforeAll(async () => {
    await client().repositoryAccess('acme/orders', { releases: false }); // the repository, pulls, commits
    await client().createRelease({
      repository: 'acme/orders',
      tag: 'v-checker',
      revision: 'main',
      name: 'checker',
      body: '',
    });
    await teams().listTeamMembers('acme', 'data-platform', signal());
  });

  const answered = (path: string, status = 200) => {
    // The first page of a list: its query is the request's own.
    const found = rest().findLast(
      (e) => e.path === path && e.status === status && !/[?&]page=/.test(e.query),
    );
    if (!found) throw new Error(`no recorded ${status} answer for ${path}`);
    return structuredClone(found);
  };

  it('judges the simulator and not the GraphQL endpoint', () => {
    expect(githubRestChecker.system).toBe('GitHub REST');
    expect(githubRestChecker.accepts('github', answered('/repos/acme/orders'))).toBe(true);
    const graphql = { ...answered('/repos/acme/orders'), path: '/graphql' };
    expect(githubRestChecker.accepts('github', graphql)).toBe(false);
    expect(githubRestChecker.accepts('slack', answered('/repos/acme/orders'))).toBe(false);
  });

  it('fails an answer that lacks a field GitHub always sends', () => {
    const repository = answered('/repos/acme/orders');
    delete (repository.responseBody as Record<string, unknown>).default_branch;
    expect(githubRestChecker.check(repository)).toEqual([
      'GET /repos/acme/orders (/repos/{owner}/{repo}): response 200: required field "default_branch" missing',
    ]);
    const members = answered('/orgs/acme/teams/data-platform/members');
    delete (members.responseBody as Record<string, unknown>[])[0]?.login;
    expect(githubRestChecker.check(members)).toEqual([
      'GET /orgs/acme/teams/data-platform/members?role=all&per_page=100 (/orgs/{org}/teams/{team_slug}/members): response 200/0: required field "login" missing',
    ]);
  });

  it('fails a request of the wrong type, an unknown parameter and an undocumented status', () => {
    const release = answered('/repos/acme/orders/releases', 201);
    expect(githubRestChecker.check({ ...release, body: { tag_name: 20261104 } })).toEqual([
      'POST /repos/acme/orders/releases (/repos/{owner}/{repo}/releases): request body/tag_name: must be string',
    ]);
    const pulls = answered('/repos/acme/orders/pulls');
    expect(githubRestChecker.check({ ...pulls, query: '?state=merged&per_page=one' })).toEqual([
      'GET /repos/acme/orders/pulls?state=merged&per_page=one (/repos/{owner}/{repo}/pulls): query parameter "state" is "merged", not one of open, closed, all',
      'GET /repos/acme/orders/pulls?state=merged&per_page=one (/repos/{owner}/{repo}/pulls): query parameter "per_page" is "one", not an integer',
    ]);
    const commits = answered('/repos/acme/orders/commits');
    expect(githubRestChecker.check({ ...commits, query: '?since=2026-11-01' })).toEqual([
      'GET /repos/acme/orders/commits?since=2026-11-01 (/repos/{owner}/{repo}/commits): query parameter "since": must match format "date-time"',
    ]);
    expect(githubRestChecker.check({ ...pulls, query: '?sate=closed' })).toEqual([
      'GET /repos/acme/orders/pulls?sate=closed (/repos/{owner}/{repo}/pulls): unknown query parameter "sate"',
    ]);
    expect(githubRestChecker.check({ ...pulls, status: 418 })).toEqual([
      'GET /repos/acme/orders/pulls?state=closed&per_page=1 (/repos/{owner}/{repo}/pulls): status 418 is not a documented answer',
    ]);
    expect(githubRestChecker.check({ ...pulls, method: 'DELETE' })[0]).toMatch(
      /^DELETE \/repos\/acme\/orders\/pulls\?state=closed&per_page=1: DELETE is not an operation of \/repos\/\{owner\}\/\{repo\}\/pulls \(get, post\)/,
    );
  });
});
