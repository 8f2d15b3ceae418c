import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import pino from 'pino';
import { OctokitGitHubClient } from '../integrations/github/githubClient.ts';
import { buildRepository, generatePullRequests } from '../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../sandbox/github/githubSimulator.ts';
import type { BenchContext, Benchmark, BenchSection } from './harness.ts';

const REPOSITORIES = 30;
const PRS = 40;
const LATENCY_MS = 50;
const CONCURRENCY = 6;
const start = new Date('2026-11-02T00:00:00Z');
const since = new Date(start.getTime() - 3_600_000);

async function pool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await work(item);
      }
    }),
  );
}

/** dpbot's way: one GraphQL search per 100 merged pull requests of a repository, files included. */
async function searchApproach(url: string, repos: readonly string[]): Promise<number> {
  const client = new OctokitGitHubClient({
    apiUrl: url,
    token: 'bench',
    concurrency: CONCURRENCY,
    log: pino({ level: 'silent' }),
  });
  let found = 0;
  await Promise.all(
    repos.map(async (repository) => {
      const r = await client.mergedPullRequests({ repository, branch: 'main', since, needAllFiles: true });
      found += r.pullRequests.length;
    }),
  );
  return found;
}

/**
 * The per-commit way many release-note scripts take: list the branch's commits since the date,
 * ask which pull request each commit belongs to, then fetch that pull request's files — with the
 * same Octokit plugins and the same number of repositories in flight.
 */
async function perCommitApproach(url: string, repos: readonly string[]): Promise<number> {
  const Client = Octokit.plugin(throttling, retry);
  const octokit = new Client({
    auth: 'bench',
    baseUrl: url,
    throttle: { onRateLimit: () => true, onSecondaryRateLimit: () => true },
  });
  let found = 0;
  await pool(repos, CONCURRENCY, async (repository) => {
    const [owner = '', repo = ''] = repository.split('/');
    const commits = await octokit.paginate(octokit.rest.repos.listCommits, {
      owner,
      repo,
      sha: 'main',
      since: since.toISOString(),
      per_page: 100,
    });
    for (const commit of commits) {
      const pulls = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({
        owner,
        repo,
        commit_sha: commit.sha,
      });
      for (const pr of pulls.data) {
        await octokit.paginate(octokit.rest.pulls.listFiles, {
          owner,
          repo,
          pull_number: pr.number,
          per_page: 100,
        });
        found++;
      }
    }
  });
  return found;
}

export const releaseBenchmark: Benchmark = {
  name: 'release',
  async run(ctx: BenchContext): Promise<BenchSection> {
    const repos = Array.from(
      { length: REPOSITORIES },
      (_, i) => `acme/service-${String(i + 1).padStart(2, '0')}`,
    );
    const data = repos.map((name) =>
      buildRepository(name, generatePullRequests(name, { count: PRS, start, spacingMs: 600_000 })),
    );
    let sim: GitHubSimulator | undefined;
    const samples = {
      searchMs: [] as number[],
      searchRequests: [] as number[],
      commitMs: [] as number[],
      commitRequests: [] as number[],
    };
    try {
      for (let run = 0; run < ctx.runs; run++) {
        // A fresh simulator, so a fresh hourly budget of 5,000 requests, per run: the per-commit
        // baseline spends about half of it each time, and a third run would wait for the reset.
        sim = new GitHubSimulator({ token: 'bench', latencyMs: LATENCY_MS });
        for (const repository of data) sim.addRepository(repository);
        await sim.start();
        let before = sim.requests.length;
        let t = performance.now();
        const a = await searchApproach(sim.url, repos);
        samples.searchMs.push(performance.now() - t);
        samples.searchRequests.push(sim.requests.length - before);
        before = sim.requests.length;
        t = performance.now();
        const b = await perCommitApproach(sim.url, repos);
        samples.commitMs.push(performance.now() - t);
        samples.commitRequests.push(sim.requests.length - before);
        if (a !== REPOSITORIES * PRS || b !== REPOSITORIES * PRS)
          throw new Error(`expected ${REPOSITORIES * PRS} pull requests from both, got ${a} and ${b}`);
        ctx.log(
          `run ${run + 1}: search ${samples.searchRequests.at(-1)} requests in ${Math.round(samples.searchMs.at(-1) ?? 0)} ms; per-commit ${samples.commitRequests.at(-1)} requests in ${Math.round(samples.commitMs.at(-1) ?? 0)} ms`,
        );
        await sim.stop();
        sim = undefined;
      }
    } finally {
      await sim?.stop();
    }
    return {
      title: 'Collecting merged pull requests for a release',
      description: `${REPOSITORIES} repositories with ${PRS} merged pull requests each (files included), ${LATENCY_MS} ms of simulated latency per GitHub request, ${CONCURRENCY} repositories in flight. dpbot's GraphQL search (one query per 100 pull requests, files in the same query) against the per-commit REST lookups (list commits, the pull request of each commit, its files), both through Octokit with the throttling and retry plugins.`,
      measurements: [
        {
          name: 'GitHub requests',
          unit: 'requests',
          samples: samples.searchRequests,
          baseline: { name: 'per-commit lookups', samples: samples.commitRequests },
          note: `target: at most 1 + ⌈PRs/100⌉ = 2 per repository, ${REPOSITORIES * 2} in all; the baseline spends about half of a token's hourly budget of 5,000 requests on every release`,
        },
        {
          name: 'wall time',
          unit: 'ms',
          samples: samples.searchMs,
          baseline: { name: 'per-commit lookups', samples: samples.commitMs },
        },
      ],
    };
  },
};

// `node bench/release.bench.ts` runs it alone.
if (import.meta.main) {
  const section = await releaseBenchmark.run({
    adminUrl: '',
    runs: Number(process.env.RUNS ?? 1),
    log: console.log,
  });
  console.log(JSON.stringify(section, null, 2));
}
