import type { KnownBlock } from '@slack/types';
import type { App } from '../../app/app.ts';
import { releaseDeps } from '../../app/wiring/release.ts';
import { releaseJobs } from '../../handlers/release/jobs.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import {
  buildRepository,
  generatePullRequests,
  type SimPullRequest,
} from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import { recordingResponder, startTestApp } from './app.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createFixture, type Fixture, standardDirectory } from './fixture.ts';
import { recordingNotifier } from './notifier.ts';

export const SINCE = '2026-11-02';
const old = new Date('2026-10-20T09:00:00Z');
const recent = new Date('2026-11-03T09:00:00Z');

export interface ReleaseWorld {
  fixture: Fixture;
  database: TestDatabase;
  app: App;
  github: GitHubSimulator;
  argocd: ArgoCdSimulator;
  notifier: ReturnType<typeof recordingNotifier>;
  orders: SimPullRequest[];
  platform: SimPullRequest[];
  close(): Promise<void>;
}

export interface ReleaseSimulators {
  github: GitHubSimulator;
  argocd: ArgoCdSimulator;
  orders: SimPullRequest[];
  platform: SimPullRequest[];
}

/** The tokens the release simulators take (GITHUB_TOKEN, ARGOCD_TOKEN). */
export const RELEASE_ENV = { GITHUB_TOKEN: 'ghs-test', ARGOCD_TOKEN: 'argo-test' };

/**
 * Two repositories on the GitHub simulator — acme/orders (one service) and acme/platform (a
 * monorepo of ingest and catalog) — with pull requests merged before and after SINCE, and their
 * Argo CD applications; started.
 */
export async function startReleaseSimulators(): Promise<ReleaseSimulators> {
  const github = new GitHubSimulator({ token: 'ghs-test' });
  // Argo CD resolves the branch an auto-synced application follows in the same Git as GitHub's.
  const argocd = new ArgoCdSimulator({
    token: 'argo-test',
    headOf: (repoURL, ref) => {
      const repo = github.repository(repoURL.replace('https://github.com/', ''));
      return ref === repo.defaultBranch ? repo.commits.at(-1)?.oid : undefined;
    },
  });
  const orders = [
    ...generatePullRequests('acme/orders', { count: 3, start: old, spacingMs: 3_600_000, firstNumber: 10 }),
    ...generatePullRequests('acme/orders', {
      count: 6,
      start: recent,
      spacingMs: 3_600_000,
      firstNumber: 100,
    }),
  ];
  const platform = [
    ...generatePullRequests('acme/platform', {
      count: 2,
      start: old,
      spacingMs: 3_600_000,
      firstNumber: 10,
      folders: ['services/ingest', 'services/catalog'],
    }),
    ...generatePullRequests('acme/platform', {
      count: 10,
      start: recent,
      spacingMs: 3_600_000,
      firstNumber: 200,
      folders: ['services/ingest', 'services/catalog'],
    }),
  ];
  github.addRepository(buildRepository('acme/orders', orders));
  github.addRepository(buildRepository('acme/platform', platform));
  const deployed = (prs: SimPullRequest[]) =>
    prs.filter((p) => p.mergedAt < recent).at(-1)?.mergeCommit ?? 'root';
  argocd
    .addApplication({
      name: 'orders-api',
      repoURL: 'https://github.com/acme/orders',
      revision: deployed(orders),
      previousRevision: 'aaaaaaa1',
    })
    .addApplication({
      name: 'ingest',
      repoURL: 'https://github.com/acme/platform',
      revision: deployed(platform),
      previousRevision: 'bbbbbbb1',
    })
    .addApplication({
      name: 'catalog-api',
      repoURL: 'https://github.com/acme/platform',
      revision: deployed(platform),
      previousRevision: 'ccccccc1',
    })
    .addApplication({
      name: 'catalog-worker',
      repoURL: 'https://github.com/acme/platform',
      revision: deployed(platform),
      previousRevision: 'ddddddd1',
      autoSync: true,
    });
  await github.start();
  await argocd.start();
  return { github, argocd, orders, platform };
}

/**
 * The release's configuration folder: the three services, their owners and stakeholder channels
 * (by name, as people write them), release managers, and `config` over the release settings.
 */
export function releaseFixture(
  sims: ReleaseSimulators,
  options: {
    config?: Record<string, unknown>;
    jira?: { url: string; email: string };
    /** Settings beside `release` (slack, …). */
    top?: Record<string, unknown>;
    /** Grants besides the standard ones. */
    grants?: Record<string, unknown>[];
  } = {},
): Fixture {
  const { github, argocd } = sims;
  return createFixture({
    directory: {
      ...standardDirectory,
      groups: [...standardDirectory.groups, { id: 'release-managers', members: ['ada@example.com'] }],
    },
    policies: {
      'platform.yaml': {
        grants: [
          { group: 'file:data-platform', actions: ['*'] },
          { group: 'file:engineering', actions: ['access.read', 'release.read', 'release.confirm'] },
          {
            group: 'file:team-x-oncall',
            actions: ['release.rollback'],
            resources: ['service:orders-api', 'app:orders-api'],
          },
          ...(options.grants ?? []),
        ],
      },
    },
    config: {
      jobs: { pollInterval: '500ms' },
      // Comments land on the simulator at once rather than GitHub's three seconds apart; the
      // sandbox's release tests (test/e2e) keep the spacing.
      github: { apiUrl: github.url, spaceWrites: false },
      argocd: { url: argocd.url },
      ...(options.jira ? { jira: { url: options.jira.url, email: options.jira.email, timeout: '2s' } } : {}),
      ...options.top,
      release: {
        channel: '#releases',
        managers: 'file:release-managers',
        services: [
          {
            name: 'orders-api',
            repository: 'acme/orders',
            applications: ['orders-api'],
            owners: ['grace@example.com'],
            stakeholders: ['#sales-ops'],
          },
          {
            name: 'ingest',
            repository: 'acme/platform',
            paths: ['services/ingest/'],
            applications: ['ingest'],
            owners: ['file:team-x-oncall'],
            stakeholders: ['#data-consumers'],
          },
          {
            name: 'catalog',
            repository: 'acme/platform',
            paths: ['services/catalog/**'],
            applications: ['catalog-api', 'catalog-worker'],
            owners: ['U0LINUS001'],
            stakeholders: ['#data-consumers', '#partners'],
            external: true,
          },
        ],
        waves: [['orders-api', 'catalog']],
        settleTime: '1s',
        pollInterval: '300ms',
        reminderInterval: '1h',
        autoSyncReminderInterval: '1s',
        ...options.config,
      },
    },
  });
}

/** The release simulators and the real app with the release workers running. */
export async function startReleaseWorld(
  options: {
    config?: Record<string, unknown>;
    /** A Jira (simulator) for the release's tracker steps; `release.jira` comes with `config`. */
    jira?: { url: string; email: string; token: string };
    /** Settings beside `release` (freezes, …). */
    top?: Record<string, unknown>;
    /** Grants besides the standard ones. */
    grants?: Record<string, unknown>[];
  } = {},
): Promise<ReleaseWorld> {
  const sims = await startReleaseSimulators();
  const { github, argocd, orders, platform } = sims;
  const fixture = releaseFixture(sims, {
    ...(options.config ? { config: options.config } : {}),
    ...(options.jira ? { jira: options.jira } : {}),
    ...(options.top ? { top: options.top } : {}),
    ...(options.grants ? { grants: options.grants } : {}),
  });
  const database = await createTestDatabase();
  const notifier = recordingNotifier();
  const app = await startTestApp(fixture, database, {
    env: {
      ...RELEASE_ENV,
      ...(options.jira ? { JIRA_API_TOKEN: options.jira.token } : {}),
    },
    notifier,
  });
  // The workers get just the release's dependencies, as bindCapabilities gives them.
  await releaseJobs(releaseDeps(app.services), app.pipeline);
  return {
    fixture,
    database,
    app,
    github,
    argocd,
    notifier,
    orders,
    platform,
    close: async () => {
      await app.close();
      await database.drop();
      await github.stop();
      await argocd.stop();
      fixture.remove();
    },
  };
}

export interface Ran {
  outcome: string;
  texts: string[];
  responder: ReturnType<typeof recordingResponder>;
  requestId: string;
  rows: Record<string, unknown>[];
}

async function auditRows(world: ReleaseWorld, requestId: string) {
  const rows = await world.database.query(
    'SELECT kind, decision, outcome, error, email, action, resource, command, detail FROM audit_log WHERE request_id = $1 ORDER BY id',
    [requestId],
  );
  return rows.rows;
}

export async function run(world: ReleaseWorld, text: string, email: string): Promise<Ran> {
  const responder = recordingResponder();
  const requestId = crypto.randomUUID();
  const outcome = await world.app.pipeline.handleText({
    requestId,
    entry: 'console',
    text,
    caller: { email },
    channel: 'C-RELEASES',
    responder,
  });
  return { outcome, texts: responder.texts(), responder, requestId, rows: await auditRows(world, requestId) };
}

/** Presses a button (dp.run: the command text in its value) as someone, through the pipeline. */
export async function press(
  world: ReleaseWorld,
  actionId: string,
  value: string,
  email: string,
): Promise<Ran> {
  const responder = recordingResponder();
  const requestId = crypto.randomUUID();
  const outcome = await world.app.pipeline.handleAction({
    requestId,
    entry: 'button',
    actionId,
    value,
    caller: { email },
    channel: 'C-RELEASES',
    responder,
  });
  return { outcome, texts: responder.texts(), responder, requestId, rows: await auditRows(world, requestId) };
}

/** The buttons of a message: label → value. */
export function buttons(
  blocks: readonly KnownBlock[] | undefined,
): { label: string; actionId: string; value: string }[] {
  const out: { label: string; actionId: string; value: string }[] = [];
  for (const block of blocks ?? []) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements)
      if (el.type === 'button')
        out.push({ label: el.text.text, actionId: el.action_id ?? '', value: el.value ?? '' });
  }
  return out;
}
