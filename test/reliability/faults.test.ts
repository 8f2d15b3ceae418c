import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import { createSlackClients } from '../../bot/slack/slackApp.ts';
import { createMetrics } from '../../core/metrics.ts';
import type { Outcome } from '../../pipeline/pipeline.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';
import { buildRepository, generatePullRequests } from '../../sandbox/github/githubData.ts';
import { GitHubSimulator } from '../../sandbox/github/githubSimulator.ts';
import type { Fault, Simulator } from '../../sandbox/http.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { auditRowsOf, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { startTaskSimulators, taskConfig, taskEnv } from '../support/taskFixture.ts';
import { seedClusters, workersConfig } from '../support/workers.ts';

/**
 * Every external system dpbot calls, answering 500, 429 with Retry-After, or not at all, while a
 * real command runs through the pipeline: the caller is told what failed and where, the outcome
 * is audited, and the number of requests that reached the simulator is bounded (nothing is
 * retried forever). Timeouts are configured short so that a stalled answer costs a second.
 */

const TIMEOUT = '1s';
/** How long a stalled simulator holds its answer: longer than any configured timeout. */
const STALL_MS = 2_500;
/** A fault that lasts as long as the command: it must give up on its own. */
const PERSISTENT = 1_000;

const NOW = new Date('2026-11-21T12:00:00Z');
const world = generateDemoWorld({ now: NOW });

let kube: RunningKubernetes;
let tasks: Awaited<ReturnType<typeof startTaskSimulators>>;
let github: GitHubSimulator;
let catalog: ReturnType<typeof catalogSimulator>;
let cron: ArgoSimulator;
let slack: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let app: App;
/** The run `task status` asks about: submitted before the faults. */
let runId = 0;

beforeAll(async () => {
  kube = await startKubernetes(seedClusters);
  tasks = await startTaskSimulators({ autoAdvance: false });
  github = new GitHubSimulator({ token: 'ghs-test' });
  const recent = new Date('2026-11-03T09:00:00Z');
  github.addRepository(
    buildRepository(
      'acme/orders',
      generatePullRequests('acme/orders', { count: 3, start: recent, spacingMs: 3_600_000, firstNumber: 10 }),
    ),
  );
  github.addRepository(
    buildRepository(
      'acme/platform',
      generatePullRequests('acme/platform', {
        count: 3,
        start: recent,
        spacingMs: 3_600_000,
        firstNumber: 20,
      }),
    ),
  );
  catalog = catalogSimulator({ items: world.items, pagination: 'page' });
  cron = new ArgoSimulator({ cronWorkflows: world.cronWorkflows, workflows: world.workflows });
  slack = new SlackSimulator().addChannel({ id: 'C0OPS00001', name: 'ops', botMember: true });
  await Promise.all([github.start(), catalog.start(), cron.start(), slack.start()]);

  const workers = workersConfig(kube.kubeconfigPath, { requestTimeout: TIMEOUT });
  const taskSettings = taskConfig(tasks.argo.url, tasks.jira.url);
  fixture = createFixture({
    directory: standardDirectory,
    config: {
      ...workers,
      ...taskSettings,
      argo: { ...taskSettings.argo, timeout: TIMEOUT },
      jira: { ...taskSettings.jira, timeout: TIMEOUT },
      // Slack's calls are small: a shorter wait keeps its four attempts quick.
      slack: { apiUrl: slack.apiUrl, timeout: '500ms' },
      github: { apiUrl: github.url, timeout: TIMEOUT },
      release: {
        channel: '#releases',
        services: [
          {
            name: 'orders-api',
            repository: 'acme/orders',
            applications: ['orders-api'],
            owners: ['ada@example.com'],
          },
          {
            name: 'platform',
            repository: 'acme/platform',
            applications: ['platform'],
            owners: ['ada@example.com'],
          },
        ],
      },
      datasets: {
        // Every command reads its sources afresh: no cached answer stands in for a failed one.
        cacheTtl: '1ms',
        errorTtl: '1ms',
        maxStale: '1ms',
        catalog: { ...SIMULATED_CATALOG, url: catalog.url, timeout: TIMEOUT },
        argo: { url: cron.url, timeout: TIMEOUT },
        producers: world.producers,
      },
    },
  });
  database = await createTestDatabase();
  // Announcements go through the real Slack Web API client, as when dpbot serves Slack.
  const config = loadConfig({ path: fixture.configPath, env: {} }).config;
  const { notifier } = createSlackClients(
    { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: undefined },
    config,
    pino({ level: 'silent' }),
    createMetrics(),
  );
  app = await startTestApp(fixture, database, {
    env: { ...taskEnv, GITHUB_TOKEN: 'ghs-test' },
    notifier,
  });
  const ready = await run('task run echo message=ready');
  expect(ready.outcome).toBe('ok');
  runId = Number(/echo #(\d+)/.exec(ready.text)?.[1]);
  expect(runId).toBeGreaterThan(0);
});

afterEach(() => {
  for (const sim of simulators()) sim.clearFaults();
});

afterAll(async () => {
  await app?.close();
  await database?.drop();
  await Promise.allSettled([
    kube.stop(),
    tasks.stop(),
    github.stop(),
    catalog.stop(),
    cron.stop(),
    slack.stop(),
  ]);
  fixture?.remove();
});

function simulators(): Simulator[] {
  return [kube.sim.server, tasks.argo.sim, tasks.jira.sim, github, catalog, cron.sim, slack];
}

async function run(text: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, {
    email: 'ada@example.com',
    channel: 'C0OPS00001',
  });
  const rows = await auditRowsOf<{ kind: string; outcome: string | null; error: string | null }>(
    database,
    requestId,
    'kind, outcome, error',
  );
  return { outcome, text: responder.texts().join('\n'), rows, requestId };
}

/** `late`: the work is done at once, its answer comes after the caller's timeout. */
type FaultKind = '500' | '429' | 'timeout' | 'late';

function fault(c: Case): Fault {
  const times = c.times ?? PERSISTENT;
  switch (c.fault) {
    case '500':
      return { ...c.where, status: 500, times };
    case '429':
      return {
        ...c.where,
        status: 429,
        headers: { 'retry-after': '1' },
        ...(c.body ? { body: c.body } : {}),
        times,
      };
    case 'timeout':
      return { ...c.where, delayMs: STALL_MS, times };
    case 'late':
      return { ...c.where, delayMs: STALL_MS, late: true, times };
  }
}

interface Case {
  system: string;
  fault: FaultKind;
  command: () => string;
  sim: () => Simulator;
  where: { method: string; path: RegExp };
  /** The 429 body the system really sends, when it matters to the client. */
  body?: unknown;
  outcome: Outcome;
  /** What the caller reads. */
  says: RegExp;
  /** Audit rows of the request beyond its attempt and outcome, in order. */
  steps?: string[];
  /** Requests the fault may see before the command gives up. */
  requests: [min: number, max: number];
  /** How many requests the fault affects (default: all of them, while the command runs). */
  times?: number;
  /** Further checks of what happened. */
  after?: () => void;
}

const scale = 'scale team-x 5 --reason "faults"';
const deployment = { method: 'GET', path: /\/deployments\/ingest-workers$/ };
const submit = { method: 'POST', path: /\/api\/v1\/workflows\/[^/]+\/submit$/ };
const workflow = { method: 'GET', path: /\/api\/v1\/workflows\/[^/]+\/echo-[^/]+$/ };
const ticket = { method: 'GET', path: /\/rest\/api\/3\/issue\/DP-1$/ };
// A dataset the simulated catalog holds: task run checks it there before submitting.
const backfill = 'task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07';
const graphql = { method: 'POST', path: /^\/graphql$/ };
const catalogList = { method: 'GET', path: /^\/api\/v1\/datasets$/ };
const postMessage = { method: 'POST', path: /^\/api\/chat\.postMessage$/ };
const notPosted = /Could not post the progress message in C0OPS00001; "task status \d+" shows progress/;

const cases: Case[] = [
  // Kubernetes: the scale reads the workload first; no write follows a failed read.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'Kubernetes',
      fault: f,
      command: () => scale,
      sim: () => kube.sim.server,
      where: deployment,
      outcome: 'error',
      says: {
        '500':
          /^Failed: Kubernetes: cluster "sandbox" answered 500 to get deployments of Deployment team-x\/ingest-workers/,
        '429':
          /^Failed: Kubernetes: cluster "sandbox" is throttling dpbot \(429 Too Many Requests\); try again in 1s/,
        timeout:
          /^Failed: Kubernetes: cluster "sandbox" \(http:\/\/127\.0\.0\.1:\d+\) did not answer within 1s/,
      }[f],
      requests: [1, 1],
    }),
  ),
  // A write that gets no answer may still land: the caller is told so, not that nothing happened.
  {
    system: 'Kubernetes (write)',
    fault: 'timeout',
    command: () => 'scale team-x 6 --reason "stalled write"',
    sim: () => kube.sim.server,
    where: { method: 'PUT', path: /\/deployments\/ingest-workers\/scale$/ },
    outcome: 'error',
    says: /^Failed: Kubernetes: cluster "sandbox" \(http:\/\/127\.0\.0\.1:\d+\) did not answer within 1s when asked to update deployments\/scale of Deployment team-x\/ingest-workers, so the change may have been made all the same; check before trying again/,
    requests: [1, 1],
  },
  // The write landed but its answer came too late: dpbot reads the count back instead of failing.
  {
    system: 'Kubernetes (write)',
    fault: 'late',
    times: 1,
    command: () => 'scale team-x 7 --reason "late answer"',
    sim: () => kube.sim.server,
    where: { method: 'PUT', path: /\/deployments\/ingest-workers\/scale$/ },
    outcome: 'ok',
    says: /Kubernetes did not answer the write in time; dpbot read the count back and it is 7, so the change landed/,
    steps: ['scaled'],
    requests: [1, 1],
  },
  // Argo Workflows: the submission, recorded before it is sent.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'Argo Workflows',
      fault: f,
      command: () => 'task run echo message=hello',
      sim: () => tasks.argo.sim,
      where: submit,
      outcome: 'error',
      says: {
        '500':
          /^Failed: Argo Workflows: failed \(500\) when asked to submit WorkflowTemplate echo in namespace data-jobs/,
        '429':
          /^Failed: Argo Workflows: is rate limiting dpbot \(429\) when asked to submit WorkflowTemplate echo in namespace data-jobs; try again in 1s/,
        timeout:
          /^Failed: Argo Workflows: did not answer within 1s when asked to submit WorkflowTemplate echo in namespace data-jobs; it may have done it all the same, so check in Argo before trying again/,
      }[f],
      steps: ['submitting'],
      requests: [1, 1],
    }),
  ),
  // Argo Workflows created the workflow but answered too late: dpbot finds it by its labels
  // rather than calling the run failed, and does not submit it again.
  {
    system: 'Argo Workflows',
    fault: 'late',
    times: 1,
    command: () => 'task run echo message=late',
    sim: () => tasks.argo.sim,
    where: submit,
    outcome: 'ok',
    says: /^Started echo #\d+ [\s\S]*Argo Workflows answered the submission too late, but it had created workflow echo-[\w-]+ \(found by its dpbot\/run label\); it was not submitted twice/,
    steps: ['submitting', 'submit_found'],
    requests: [1, 1],
  },
  // Argo Workflows: a run's status falls back to dpbot's own record.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'Argo Workflows (status)',
      fault: f,
      command: () => `task status ${runId}`,
      sim: () => tasks.argo.sim,
      where: workflow,
      outcome: 'ok',
      says: /Argo did not answer \(Argo Workflows: .*\); this is dpbot's last record/,
      requests: [1, 1],
    }),
  ),
  // Jira: a ticket that cannot be checked does not stop the run; the caller is told, and it is audited.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'Jira',
      fault: f,
      command: () => `${backfill} ticket=DP-1`,
      sim: () => tasks.jira.sim,
      where: ticket,
      outcome: 'ok',
      says: {
        '500': /Could not check DP-1 in Jira \(Jira: failed \(500\) when asked to read DP-1/,
        '429': /Could not check DP-1 in Jira \(Jira: rate limited when asked to read DP-1; retry in 1s\)/,
        timeout: /Could not check DP-1 in Jira \(Jira: did not answer within 1s when asked to read DP-1/,
      }[f],
      steps: ['jira_check_failed', 'submitting'],
      requests: [1, 1],
    }),
  ),
  {
    system: 'Jira (new ticket)',
    fault: '500',
    command: () => backfill,
    sim: () => tasks.jira.sim,
    where: { method: 'POST', path: /\/rest\/api\/3\/issue$/ },
    outcome: 'ok',
    says: /No Jira ticket was opened \(Jira: failed \(500\) when asked to create an issue in DP/,
    steps: ['submitting', 'jira_ticket_failed'],
    requests: [1, 1],
  },
  // Jira opened the ticket but answered too late: dpbot finds it by the request's label.
  {
    system: 'Jira (new ticket)',
    fault: 'late',
    times: 1,
    command: () => backfill,
    sim: () => tasks.jira.sim,
    where: { method: 'POST', path: /\/rest\/api\/3\/issue$/ },
    outcome: 'ok',
    says: /Jira answered too late, but it had opened DP-\d+; the run uses it/,
    steps: ['submitting', 'jira_ticket_found'],
    requests: [1, 1],
  },
  // GitHub: two repositories read in parallel; a secondary rate limit is waited out as GitHub
  // asks, three times at most per request.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'GitHub',
      fault: f,
      command: () => 'release start --since 2026-11-02',
      sim: () => github,
      where: graphql,
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      },
      outcome: 'error',
      says: {
        '500': /^Failed: GitHub: reading pull requests merged into acme\/\w+@main: HTTP 500/,
        '429':
          /^Failed: GitHub: reading pull requests merged into acme\/\w+@main: HTTP 429, You have exceeded a secondary rate limit/,
        timeout: /^Failed: GitHub: reading pull requests merged into acme\/\w+@main: no answer within 1s/,
      }[f],
      requests: f === '429' ? [2, 8] : [1, 2],
    }),
  ),
  // The dataset catalog: the answer goes on with run status only, and says why.
  ...(['500', '429', 'timeout'] as const).map(
    (f): Case => ({
      system: 'dataset catalog',
      fault: f,
      command: () => 'datasets',
      sim: () => catalog,
      where: catalogList,
      outcome: 'ok',
      says: {
        '500': /catalog unreachable \(answered HTTP 500.*\): showing run status only/,
        '429': /catalog unreachable \(answered HTTP 429.*\): showing run status only/,
        timeout: /catalog unreachable \(no answer within 1s\): showing run status only/,
      }[f],
      // A 429 or a gateway error is asked once more, after a short Retry-After.
      requests: f === '429' ? [2, 2] : [1, 1],
    }),
  ),
  // Slack: the progress announcement of a task run. The Web API client tries a failed call 3
  // more times, no more; the run goes on, and the caller is told where to follow it instead.
  ...(['500', 'timeout'] as const).map(
    (f): Case => ({
      system: 'Slack',
      fault: f,
      command: () => 'task run echo message=announce',
      sim: () => slack,
      where: postMessage,
      outcome: 'ok',
      says: notPosted,
      steps: ['submitting'],
      requests: [4, 4],
    }),
  ),
  // A rate limit is waited out as Slack asks (Retry-After), then the announcement goes out.
  {
    system: 'Slack',
    fault: '429',
    times: 2,
    command: () => 'task run echo message=later',
    sim: () => slack,
    where: postMessage,
    body: { ok: false, error: 'ratelimited' },
    outcome: 'ok',
    says: /^Started echo #\d+ .*Progress is posted in the channel\./,
    steps: ['submitting'],
    requests: [3, 3],
    after: () =>
      expect(slack.messagesIn('C0OPS00001').map((m) => m.text)).toContainEqual(
        expect.stringContaining('echo #'),
      ),
  },
];

describe('external systems failing while a command runs', () => {
  it.each(cases.map((c) => [`${c.system} answering ${c.fault}`, c] as const))(
    '%s: the caller is told, the outcome audited, the requests bounded',
    async (_name, c) => {
      const sim = c.sim();
      const before = sim.requests.length;
      sim.inject(fault(c));
      const r = await run(c.command());
      sim.clearFaults();

      expect(r.outcome, r.text).toBe(c.outcome);
      expect(r.text).toMatch(c.says);

      const hits = sim.requests
        .slice(before)
        .filter((q) => q.method === c.where.method && c.where.path.test(q.path)).length;
      expect(hits).toBeGreaterThanOrEqual(c.requests[0]);
      expect(hits).toBeLessThanOrEqual(c.requests[1]);

      expect(
        r.rows.map((row) => (row.kind === 'attempt' ? 'attempt' : `${row.kind}:${row.outcome}`)),
      ).toEqual(['attempt', ...(c.steps ?? []).map((s) => `step:${s}`), `outcome:${c.outcome}`]);
      const last = r.rows.at(-1);
      if (c.outcome === 'error') expect(`Failed: ${last?.error}`).toMatch(c.says);
      c.after?.();
    },
  );
});

describe('once the faults are gone', () => {
  it('every command works again: nothing is stuck, nothing cached stands in for the failures', async () => {
    for (const text of [
      'scale team-x 4 --reason "back to normal"',
      'task run echo message=recovered',
      `task status ${runId}`,
      'release start --since 2026-11-02',
      'datasets',
    ]) {
      const r = await run(text);
      expect([text, r.outcome]).toEqual([text, 'ok']);
      expect(r.text).not.toMatch(/unreachable|did not answer|Could not/);
    }
    expect((await app.services.audit.verify()).ok).toBe(true);
  });
});
