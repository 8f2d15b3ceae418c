import pino from 'pino';
import { type App, createApp } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { releaseDeps } from '../../app/wiring/release.ts';
import { createSlackClients } from '../../bot/slack/slackApp.ts';
import { SlackNotifier } from '../../bot/slack/slackNotifier.ts';
import { createMetrics } from '../../core/metrics.ts';
import { releaseJobs } from '../../handlers/release/jobs.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import { buildRepository, generatePullRequests } from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import { JiraSimulator } from '../../sandbox/jira/jiraSimulator.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { recordingResponder } from './app.ts';
import { createTestDatabase, type TestDatabase } from './db.ts';
import { createFixture, type Fixture, standardDirectory } from './fixture.ts';

/**
 * Release day at full size (issue 17, item 3), against the four simulators with the real clients:
 * 30 services in 10 repositories (7 of one service, 3 monorepos of 8, 8 and 7), 400 pull requests
 * merged since the last release, 40 of them naming a Jira key, 3 stakeholder channels, 3 waves of
 * 10 applications; dpbot posts through its real Slack notifier. Used by the release-day benchmark
 * and by the tests that count what one release costs each system.
 */

export const RELEASE_CHANNEL = 'C0RELEASES';
export const STAKEHOLDER_CHANNELS = ['C0SALESOPS', 'C0CONSUMER', 'C0PARTNERS'] as const;
/** The channels' names in the workspace. */
const CHANNEL_NAMES: Record<string, string> = {
  [RELEASE_CHANNEL]: 'releases',
  C0SALESOPS: 'sales-ops',
  C0CONSUMER: 'data-consumers',
  C0PARTNERS: 'partners',
};
const MANAGER = 'ada@example.com';
const OWNER = 'grace@example.com';
const SINCE = '2026-11-02';
const merged = new Date('2026-11-03T09:00:00Z');
const JIRA = { email: 'dpbot@example.com', token: 'jira-release-day', project: 'DATA' };

export interface ReleaseDayOptions {
  databaseUrl: string;
  /** Delay of every answer of every simulator (ms). */
  latencyMs: number;
  /** How long each of an Argo CD sync's four stages takes (ms); unset: a stage per read. */
  stageMs?: number;
  /** release.settleTime and release.pollInterval (ms). */
  settleMs: number;
  pollMs: number;
  /** Repositories (the last 3 monorepos), pull requests and Jira keys; smaller for tests. */
  scale?: { repositories: number; prs: number; jiraKeys: number };
  /** Run the release workers (the watcher, the Jira job); off, a test runs the looks itself. */
  workers?: boolean;
  /**
   * The notifier's pace per channel (Slack's one a second unless a test shortens it; shorter is
   * faster than Slack allows, so the simulator's rate limits are then off).
   */
  postIntervalMs?: number;
  /** Settings over the `release` section (notices, …). */
  releaseConfig?: Record<string, unknown>;
}

export interface ReleaseDayWorld {
  app: App;
  fixture: Fixture;
  slack: SlackSimulator;
  github: GitHubSimulator;
  argocd: ArgoCdSimulator;
  jira: JiraSimulator;
  /** dpbot's Slack notifier (flush() sends the updates still being coalesced). */
  notifier: SlackNotifier;
  services: { name: string; repository: string; wave: number; stakeholders: string }[];
  /** Types a command as a person, through the pipeline; returns its outcome and replies. */
  run(text: string, email?: string): Promise<{ outcome: string; texts: string[]; confirm?: string }>;
  /** Presses Confirm on a command that asked first. */
  confirm(pendingId: string, email?: string): Promise<string>;
  close(): Promise<void>;
}

interface Planned {
  name: string;
  repository: string;
  monorepo: boolean;
}

/** 7 repositories of one service and 3 monorepos of 8, 8 and 7 services (30 in all). */
function plan(repositories: number): Planned[] {
  const singles = Math.max(1, repositories - 3);
  const sizes = [8, 8, 7].slice(0, Math.max(0, repositories - singles));
  return [
    ...Array.from({ length: singles }, (_, r) => ({
      name: `single-${r}`,
      repository: `acme/single-${r}`,
      monorepo: false,
    })),
    ...sizes.flatMap((size, m) =>
      Array.from({ length: size }, (_, i) => ({
        name: `mono-${m}-svc-${i}`,
        repository: `acme/mono-${m}`,
        monorepo: true,
      })),
    ),
  ];
}

export async function startReleaseDay(options: ReleaseDayOptions): Promise<ReleaseDayWorld> {
  const scale = options.scale ?? { repositories: 10, prs: 400, jiraKeys: 40 };
  const planned = plan(scale.repositories);
  const github = new GitHubSimulator({ token: 'ghs-release-day', latencyMs: options.latencyMs });
  const argocd = new ArgoCdSimulator({
    token: 'argo-release-day',
    ...(options.stageMs === undefined ? {} : { stageMs: options.stageMs }),
  });
  const jira = new JiraSimulator({
    email: JIRA.email,
    token: JIRA.token,
    projects: [{ id: '10000', key: JIRA.project, name: 'Data Platform' }],
  });
  const slack = new SlackSimulator();
  argocd.latencyMs = options.latencyMs;
  jira.sim.latencyMs = options.latencyMs;
  slack.latencyMs = options.latencyMs;
  for (const id of [RELEASE_CHANNEL, ...STAKEHOLDER_CHANNELS])
    slack.addChannel({ id, name: CHANNEL_NAMES[id] ?? id.toLowerCase(), botMember: true });
  if (options.postIntervalMs !== undefined && options.postIntervalMs < 1000) slack.enforceRateLimits = false;
  for (const u of standardDirectory.users)
    slack.addUser({ id: u.slackId, name: u.email.split('@')[0] ?? u.email, email: u.email });

  // The pull requests, spread over the repositories; a monorepo's over its services' folders.
  const repositories = [...new Set(planned.map((p) => p.repository))];
  let key = 0;
  let prs = 0;
  for (const [r, repository] of repositories.entries()) {
    const names = planned.filter((p) => p.repository === repository).map((p) => p.name);
    const count = Math.floor(scale.prs / repositories.length) + (r < scale.prs % repositories.length ? 1 : 0);
    const generated = generatePullRequests(repository, {
      count,
      start: merged,
      spacingMs: 60_000,
      firstNumber: 100,
    });
    for (const [i, pr] of generated.entries()) {
      // Exactly `jiraKeys` pull requests name a key (the generator's own keys are taken out).
      const named = key < scale.jiraKeys ? `${JIRA.project}-${1000 + key++}` : undefined;
      pr.title = `${pr.title.replace(/\[[A-Z]+-\d+\] /, '')}${named ? ` (${named})` : ''}`;
      pr.branch = `change-${pr.number}`;
      pr.body = 'A change.';
      const folder = planned.find((p) => p.name === names[i % names.length])?.monorepo
        ? `services/${names[i % names.length]}`
        : 'src';
      pr.files = [`${folder}/change-${pr.number}.ts`];
      prs++;
    }
    const repo = buildRepository(repository, generated);
    github.addRepository(repo);
    const root = repo.commits[0]?.oid ?? 'root';
    for (const name of names)
      argocd.addApplication({
        name,
        repoURL: `https://github.com/${repository}`,
        revision: root,
        previousRevision: 'f00dfeed',
      });
  }
  for (let k = 0; k < key; k++)
    jira.addIssue({ project: JIRA.project, number: 1000 + k, summary: `Issue ${k}` });
  if (prs !== scale.prs) throw new Error(`planned ${scale.prs} pull requests, made ${prs}`);
  await Promise.all([github.start(), argocd.start(), jira.start(), slack.start()]);

  const waves = [0, 1, 2].map((w) => planned.filter((_, i) => i % 3 === w).map((p) => p.name));
  const services = planned.map((p, i) => ({
    name: p.name,
    repository: p.repository,
    wave: i % 3,
    stakeholders: STAKEHOLDER_CHANNELS[i % STAKEHOLDER_CHANNELS.length] as string,
  }));
  const fixture = createFixture({
    directory: {
      ...standardDirectory,
      groups: [...standardDirectory.groups, { id: 'release-managers', members: [MANAGER] }],
    },
    policies: {
      'platform.yaml': {
        grants: [
          { group: 'file:data-platform', actions: ['*'] },
          {
            group: 'file:engineering',
            actions: ['access.read', 'release.read', 'release.confirm', 'release.subscribe'],
          },
        ],
      },
    },
    config: {
      jobs: { pollInterval: '500ms' },
      slack: { apiUrl: slack.apiUrl },
      // Comments land on the simulator at once rather than GitHub's three seconds apart; the
      // sandbox's release tests (test/e2e) keep the spacing.
      github: { apiUrl: github.url, spaceWrites: false },
      argocd: { url: argocd.url },
      jira: { url: jira.url, email: JIRA.email, timeout: '5s' },
      release: {
        channel: RELEASE_CHANNEL,
        managers: 'file:release-managers',
        services: services.map((s, i) => ({
          name: s.name,
          repository: s.repository,
          ...(planned[i]?.monorepo ? { paths: [`services/${s.name}/`] } : {}),
          applications: [s.name],
          owners: [OWNER],
          stakeholders: [s.stakeholders],
        })),
        waves,
        settleTime: `${options.settleMs}ms`,
        pollInterval: `${options.pollMs}ms`,
        reminderInterval: '24h',
        jira: { project: JIRA.project },
        ...options.releaseConfig,
      },
    },
  });
  const loaded = loadConfig({ path: fixture.configPath, env: {} });
  const log = pino({ level: 'silent' });
  const metrics = createMetrics();
  const { client } = createSlackClients(
    { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: undefined },
    loaded.config,
    log,
    metrics,
  );
  const notifier = new SlackNotifier(client, {
    updateIntervalMs: loaded.config.slack.updateInterval,
    log,
    ...(options.postIntervalMs === undefined ? {} : { postIntervalMs: options.postIntervalMs }),
  });
  const app = await createApp({
    loaded,
    env: {
      DATABASE_URL: options.databaseUrl,
      GITHUB_TOKEN: 'ghs-release-day',
      ARGOCD_TOKEN: 'argo-release-day',
      JIRA_API_TOKEN: JIRA.token,
    },
    log,
    metrics,
    notifier,
  });
  if (options.workers ?? true) await releaseJobs(releaseDeps(app.services), app.pipeline);

  const run: ReleaseDayWorld['run'] = async (text, email = MANAGER) => {
    const responder = recordingResponder();
    const outcome = await app.pipeline.handleText({
      requestId: crypto.randomUUID(),
      entry: 'console',
      text,
      caller: { email },
      channel: RELEASE_CHANNEL,
      responder,
    });
    const confirm = responder.sent
      .flatMap((s) => s.message.blocks ?? [])
      .flatMap((b) => (b.type === 'actions' ? b.elements : []))
      .find((e) => e.type === 'button' && e.action_id === CONFIRM_ACTION);
    return {
      outcome,
      texts: responder.texts(),
      ...(confirm && 'value' in confirm && confirm.value ? { confirm: confirm.value } : {}),
    };
  };
  return {
    app,
    fixture,
    slack,
    github,
    argocd,
    jira,
    notifier,
    services,
    run,
    confirm: (pendingId, email = MANAGER) =>
      app.pipeline.handleAction({
        requestId: crypto.randomUUID(),
        entry: 'button',
        actionId: CONFIRM_ACTION,
        value: pendingId,
        caller: { email },
        channel: RELEASE_CHANNEL,
        responder: recordingResponder(),
      }),
    close: async () => {
      await notifier.flush();
      await app.close();
      await Promise.all([github.stop(), argocd.stop(), jira.stop(), slack.stop()]);
      fixture.remove();
    },
  };
}

export type ReleaseDayByHand = ReleaseDayWorld & { database: TestDatabase };

/**
 * Release day in a database of its own, with the watcher's looks and the jobs run by the test
 * one at a time (no workers, simulators answering at once, a 1-ms settle, a 1-s poll), so that
 * what it counts is exact; `close` also drops the database.
 */
export async function releaseDayByHand(
  options: Omit<ReleaseDayOptions, 'databaseUrl' | 'latencyMs' | 'settleMs' | 'pollMs' | 'workers'>,
): Promise<ReleaseDayByHand> {
  const database = await createTestDatabase();
  try {
    const world = await startReleaseDay({
      ...options,
      databaseUrl: database.url,
      latencyMs: 0,
      settleMs: 1,
      pollMs: 1000,
      workers: false,
    });
    return {
      ...world,
      database,
      close: async () => {
        await world.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}

/** Starts the release and includes every service (as its owner); returns the release's number. */
export async function startAndIncludeAll(world: ReleaseDayWorld): Promise<number> {
  const started = await world.run(`release start --since ${SINCE}`);
  if (started.outcome !== 'ok')
    throw new Error(`release start: ${started.outcome}: ${started.texts.join(' ')}`);
  const id = Number(/Release #(\d+) started/.exec(started.texts.join('\n'))?.[1]);
  for (const s of world.services) {
    const included = await world.run(`release include ${s.name}`, OWNER);
    if (included.outcome !== 'ok') throw new Error(`release include ${s.name}: ${included.texts.join(' ')}`);
  }
  return id;
}

/** `release ship`, confirmed. */
export async function shipConfirmed(world: ReleaseDayWorld): Promise<void> {
  const asked = await world.run('release ship');
  if (!asked.confirm) throw new Error(`release ship did not ask: ${asked.texts.join(' ')}`);
  const shipped = await world.confirm(asked.confirm);
  if (shipped !== 'ok') throw new Error(`release ship: ${shipped}`);
}

/** Runs one release through: start, every service included, ship (confirmed), until its notes are out. */
export async function runReleaseDay(
  world: ReleaseDayWorld,
  onStep: (step: 'included' | 'shipping' | 'shipped', at: number) => void = () => {},
): Promise<number> {
  const id = await startAndIncludeAll(world);
  onStep('included', performance.now());
  await shipConfirmed(world);
  onStep('shipping', performance.now());
  for (;;) {
    const r = await world.app.services.releases.get(id);
    if (r?.status === 'shipped' && r.notesPostedAt) break;
    if (r?.status === 'failed' || r?.status === 'cancelled')
      throw new Error(`release #${id} ended ${r.status}: ${r.trackerNote ?? ''}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  onStep('shipped', performance.now());
  return id;
}
