import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import {
  buildRepository,
  generatePullRequests,
  type SimPullRequest,
} from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import type { Config } from '../config/schema.ts';
import { keepState } from './keptState.ts';
import type { SandboxPart } from './sandboxPart.ts';

const DAY = 86_400_000;

/**
 * The demo repositories of dpbot.example.yaml's services: acme/orders, and acme/platform, a
 * monorepo of ingest and catalog. Some pull requests merged a month ago (what runs now), more in
 * the last days (what the first release ships), so `release start --since 14d` has work to do.
 */
export function demoRepositories(now: Date): { orders: SimPullRequest[]; platform: SimPullRequest[] } {
  const monthAgo = new Date(now.getTime() - 30 * DAY);
  const daysAgo = new Date(now.getTime() - 6 * DAY);
  const folders = ['services/ingest', 'services/catalog'];
  return {
    orders: [
      ...generatePullRequests('acme/orders', {
        count: 4,
        start: monthAgo,
        spacingMs: DAY / 2,
        firstNumber: 40,
      }),
      ...generatePullRequests('acme/orders', {
        count: 7,
        start: daysAgo,
        spacingMs: DAY / 2,
        firstNumber: 120,
      }),
    ],
    platform: [
      ...generatePullRequests('acme/platform', {
        count: 4,
        start: monthAgo,
        spacingMs: DAY / 2,
        firstNumber: 300,
        folders,
      }),
      ...generatePullRequests('acme/platform', {
        count: 12,
        start: daysAgo,
        spacingMs: DAY / 3,
        firstNumber: 400,
        folders,
      }),
    ],
  };
}

const deployedBefore = (prs: SimPullRequest[], cutoff: Date) =>
  prs.filter((p) => p.mergedAt < cutoff).at(-1)?.mergeCommit ?? 'root';

/** The tag of the release before dpbot's: what Argo CD runs in the sandbox (`release start --since v1.4.0`). */
const DEMO_LAST_TAG = 'v1.4.0';

/** A week ago, the demo services were last deployed: what Argo CD runs and the last tag names. */
const lastDeployed = (now: Date) => new Date(now.getTime() - 7 * DAY);

/**
 * GitHub with the demo repositories (token sandbox-github-token), each tagged DEMO_LAST_TAG at
 * the commit Argo CD runs.
 */
export const githubSandboxPart: SandboxPart = {
  name: 'GitHub',
  system: 'github',
  async start({ now, stateDir }) {
    const { orders, platform } = demoRepositories(now);
    const sim = new GitHubSimulator({ token: 'sandbox-github-token' });
    for (const [name, prs] of [
      ['acme/orders', orders],
      ['acme/platform', platform],
    ] as const) {
      const repository = buildRepository(name, prs);
      repository.tags.set(DEMO_LAST_TAG, deployedBefore(prs, lastDeployed(now)));
      sim.addRepository(repository);
    }
    const saveNow = keepState(stateDir, 'github', sim, () => sim.requests.length);
    await sim.start();
    return {
      configure: (config: Config) => {
        config.github.apiUrl = sim.url;
      },
      env: { GITHUB_TOKEN: 'sandbox-github-token' },
      stop: async () => {
        await sim.stop();
        saveNow();
      },
    };
  },
};

/**
 * Argo CD with the demo services' applications, deployed at what merged a month ago;
 * catalog-worker has auto-sync on, so a rollback shows dpbot turning it off first. The release
 * watcher looks every second and counts a deployment done after 5 s of health, so a sandbox
 * release ships in well under a minute.
 */
export const argoCdSandboxPart: SandboxPart = {
  name: 'Argo CD',
  system: 'argocd',
  async start({ now, stateDir }) {
    const { orders, platform } = demoRepositories(now);
    const cutoff = lastDeployed(now);
    const sim = new ArgoCdSimulator({
      token: 'sandbox-argocd-token',
      // The sandbox's GitHub builds main from the same pull requests: Argo CD resolves it alike.
      headOf: (repoURL, ref) => {
        const prs = apps.find(([, url]) => url === repoURL)?.[2];
        return ref === 'main' && prs ? buildRepository(repoURL, prs).commits.at(-1)?.oid : undefined;
      },
    });
    const apps: [string, string, SimPullRequest[], boolean][] = [
      ['orders-api', 'https://github.com/acme/orders', orders, false],
      ['ingest', 'https://github.com/acme/platform', platform, false],
      ['catalog-api', 'https://github.com/acme/platform', platform, false],
      ['catalog-worker', 'https://github.com/acme/platform', platform, true],
    ];
    for (const [name, repoURL, prs, autoSync] of apps)
      sim.addApplication({
        name,
        repoURL,
        revision: deployedBefore(prs, cutoff),
        previousRevision: prs[0]?.mergeCommit ?? 'root',
        autoSync,
      });
    const saveNow = keepState(stateDir, 'argocd', sim, () => sim.requests.length);
    await sim.start();
    return {
      configure: (config: Config) => {
        config.argocd.url = sim.url;
        config.release.pollInterval = 1_000;
        config.release.settleTime = 5_000;
        config.jobs.pollInterval = 500;
      },
      env: { ARGOCD_TOKEN: 'sandbox-argocd-token' },
      stop: async () => {
        await sim.stop();
        saveNow();
      },
    };
  },
};
