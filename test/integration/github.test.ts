import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError, UpstreamError } from '../../core/errors.ts';
import { OctokitGitHubClient } from '../../integrations/github/githubClient.ts';
import { buildRepository, generatePullRequests } from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';

const start = new Date('2026-11-01T00:00:00Z');
const sim = new GitHubSimulator({ token: 'ghs-test', slowPageAbove: 100 });
const client = () =>
  new OctokitGitHubClient({
    apiUrl: sim.url,
    token: 'ghs-test',
    concurrency: 4,
    log: pino({ level: 'silent' }),
  });
const graphql = () => sim.countRequests((r) => r.path === '/graphql');

beforeAll(async () => {
  sim.addRepository(
    buildRepository('acme/big', generatePullRequests('acme/big', { count: 250, start, spacingMs: 60_000 })),
  );
  const mono = generatePullRequests('acme/mono', {
    count: 5,
    start,
    spacingMs: 60_000,
    folders: ['services/a', 'services/b'],
  });
  // One pull request that touches many files (more than one page of them).
  const wide = mono[0];
  if (wide) wide.files = Array.from({ length: 230 }, (_, i) => `services/${i === 229 ? 'b' : 'a'}/f${i}.ts`);
  sim.addRepository(buildRepository('acme/mono', mono));
  await sim.start();
});
afterAll(() => sim.stop());

describe('GitHub client against the simulator, through Octokit', () => {
  it('reads 250 merged pull requests in ⌈250/100⌉ requests, with labels, bodies, branches and files', async () => {
    const before = graphql();
    const result = await client().mergedPullRequests({
      repository: 'acme/big',
      branch: 'main',
      since: start,
      needAllFiles: false,
    });
    expect(result.pullRequests).toHaveLength(250);
    expect(result.requests).toBe(3);
    expect(graphql() - before).toBe(3);
    const repo = sim.repository('acme/big');
    expect(result.head.oid).toBe(repo.commits.at(-1)?.oid);
    const first = result.pullRequests[0];
    const source = repo.pullRequests[0];
    expect(first).toMatchObject({
      number: source?.number,
      title: source?.title,
      body: source?.body,
      branch: source?.branch,
      labels: source?.labels,
      files: source?.files,
      mergeCommit: source?.mergeCommit,
    });
    // The token went along on every request.
    expect(sim.requests.at(-1)?.headers.authorization).toBe('token ghs-test');
  });

  it('reads only what merged since the given moment', async () => {
    const since = new Date(start.getTime() + 200 * 60_000);
    const result = await client().mergedPullRequests({
      repository: 'acme/big',
      branch: 'main',
      since,
      needAllFiles: false,
    });
    expect(result.pullRequests.map((p) => p.number)).toEqual(
      sim
        .repository('acme/big')
        .pullRequests.filter((p) => p.mergedAt >= since)
        .map((p) => p.number),
    );
    expect(result.requests).toBe(1);
  });

  it('pages through the files of a pull request that changed more than 100, when paths matter', async () => {
    const result = await client().mergedPullRequests({
      repository: 'acme/mono',
      branch: 'main',
      since: start,
      needAllFiles: true,
    });
    expect(result.pullRequests[0]?.files).toHaveLength(230);
    expect(result.pullRequests[0]?.files.at(-1)).toBe('services/b/f229.ts');
    // One search page, then two more pages of files for the wide pull request.
    expect(result.requests).toBe(3);
  });

  it('answers a 502 for a slow query with smaller pages', async () => {
    const slow = new GitHubSimulator({ token: 'ghs-test', slowPageAbove: 40 });
    slow.addRepository(sim.repository('acme/big'));
    await slow.start();
    try {
      const c = new OctokitGitHubClient({
        apiUrl: slow.url,
        token: 'ghs-test',
        concurrency: 2,
        log: pino({ level: 'silent' }),
      });
      const result = await c.mergedPullRequests({
        repository: 'acme/big',
        branch: 'main',
        since: start,
        needAllFiles: false,
      });
      expect(result.pullRequests).toHaveLength(250);
      // 100 → 502, 50 → 502, then pages of 25.
      expect(
        slow.requests.map((r) => (r.body as { variables: { first: number } }).variables.first).slice(0, 3),
      ).toEqual([100, 50, 25]);
      expect(result.requests).toBe(2 + 10);
    } finally {
      await slow.stop();
    }
  });

  it('waits out a secondary rate limit and an exhausted primary limit, as the headers ask', async () => {
    sim.secondaryLimit(1, 1);
    const before = graphql();
    const a = await client().mergedPullRequests({
      repository: 'acme/mono',
      branch: 'main',
      since: start,
      needAllFiles: false,
    });
    expect(a.pullRequests).toHaveLength(5);
    expect(graphql() - before).toBe(2);
    const refused = sim.requests.at(-2);
    expect(refused?.path).toBe('/graphql');

    sim.exhaustRateLimit(500);
    const b = await client().mergedPullRequests({
      repository: 'acme/mono',
      branch: 'main',
      since: start,
      needAllFiles: false,
    });
    expect(b.pullRequests).toHaveLength(5);
  });

  it('resolves tags and commits for --since, and says clearly what is wrong', async () => {
    const repo = sim.repository('acme/big');
    const commit = repo.commits[10];
    repo.tags.set('v1.0.0', commit?.oid ?? '');
    expect(await client().resolveCommit('acme/big', 'v1.0.0')).toEqual({
      oid: commit?.oid,
      committedDate: commit?.date,
    });
    expect((await client().resolveCommit('acme/big', commit?.oid.slice(0, 8) ?? '')).oid).toBe(commit?.oid);
    await expect(client().resolveCommit('acme/big', 'v9.9.9')).rejects.toThrow(InputError);
    await expect(client().resolveCommit('acme/gone', 'main')).rejects.toThrow(
      'GitHub: resolving main in acme/gone: not found, or not visible to the GITHUB_TOKEN',
    );
    const wrongToken = new OctokitGitHubClient({
      apiUrl: sim.url,
      token: 'nope',
      concurrency: 1,
      log: pino({ level: 'silent' }),
    });
    const error = await wrongToken
      .mergedPullRequests({ repository: 'acme/big', branch: 'main', since: start, needAllFiles: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).status).toBe(401);
  });

  it('creates a release, and refuses a tag that exists', async () => {
    const head = sim.repository('acme/mono').commits.at(-1)?.oid ?? '';
    const created = await client().createRelease({
      repository: 'acme/mono',
      tag: 'release-1',
      revision: head,
      name: 'R1',
      body: 'notes',
    });
    expect(created.url).toBe('https://github.com/acme/mono/releases/tag/release-1');
    expect(sim.repository('acme/mono').tags.get('release-1')).toBe(head);
    await expect(
      client().createRelease({
        repository: 'acme/mono',
        tag: 'release-1',
        revision: head,
        name: 'R1',
        body: 'notes',
      }),
    ).rejects.toThrow(/HTTP 422/);
  });
});
