import * as k8s from '@kubernetes/client-node';
import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import { actionKind, type Message } from '../../pipeline/message.ts';
import { PAGE_ACTION } from '../../pipeline/views/common.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import { checkMessage } from '../../sandbox/slack/blockKitLimits.ts';
import { auditRowsOf, pressButton, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { startTaskSimulators, taskConfig, taskEnv, taskPolicies } from '../support/taskFixture.ts';
import { workersConfig, workersPolicies, workerTeams } from '../support/workers.ts';

const GRACE = 'grace@example.com'; // team-x on-call: scales team-x, runs compact-table for team-x
const LINUS = 'linus@example.com'; // engineering: may read everyone's changes, change nothing

/**
 * The simulators' clock runs ahead of the database's by what a case sets, so that what happens
 * outside dpbot (stamped by the simulators) comes after what dpbot records (stamped by PostgreSQL)
 * in an order the test decides, never by how fast the machine is.
 */
let aheadMs = 0;
const clock = () => new Date(Date.now() + aheadMs);

const REVISION_OLD = 'a1'.repeat(20);
const REVISION_NEW = 'b2'.repeat(20);

let kube: RunningKubernetes;
let argocd: ArgoCdSimulator;
let tasks: Awaited<ReturnType<typeof startTaskSimulators>>;
let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  kube = await startKubernetes(
    (sim) => {
      sim.addWorkload({
        kind: 'Deployment',
        namespace: 'team-x',
        name: 'ingest-workers',
        replicas: 4,
        // Deployed by Argo CD application team-x-app: its tracking label leads `changes` to its history.
        argo: { app: 'team-x-app', gitReplicas: 4 },
      });
    },
    { now: clock },
  );
  argocd = new ArgoCdSimulator({ token: 'argo-cd-test', now: clock });
  argocd
    .addApplication({
      name: 'team-x-app',
      repoURL: 'https://github.com/acme/team-x',
      revision: REVISION_OLD,
      previousRevision: 'c3'.repeat(20),
    })
    .addApplication({
      name: 'orders-api',
      repoURL: 'https://github.com/acme/orders',
      revision: 'd4'.repeat(20),
      previousRevision: 'e5'.repeat(20),
    });
  await argocd.start();
  tasks = await startTaskSimulators({ autoAdvance: true, now: clock });
  const base = taskConfig(tasks.argo.url, tasks.jira.url);
  const workers = workersConfig(kube.kubeconfigPath);
  fixture = createFixture({
    config: {
      ...base,
      ...workers,
      teams: workerTeams.filter((t) => t.name === 'team-x'),
      argocd: { url: argocd.url },
      release: {
        services: [
          {
            name: 'orders-api',
            repository: 'acme/orders',
            applications: ['orders-api'],
            owners: ['grace@example.com'],
          },
        ],
      },
    },
    policies: {
      'platform.yaml': workersPolicies['platform.yaml'],
      'workers.yaml': workersPolicies['workers.yaml'],
      'tasks.yaml': taskPolicies['tasks.yaml'],
      'changes.yaml': {
        grants: [
          { group: 'file:engineering', actions: ['changes.read'], resources: ['team:*', 'service:*'] },
        ],
      },
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { env: { ...taskEnv, ARGOCD_TOKEN: 'argo-cd-test' } });
});
afterAll(async () => {
  await app?.close();
  await database?.drop();
  await tasks?.stop();
  await argocd?.stop();
  await kube?.stop();
  fixture?.remove();
});

async function run(text: string, email: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email, channel: 'C-ONCALL' });
  const message = responder.sent[0]?.message as Message;
  return { outcome, message, text: message?.text ?? '', requestId };
}

/** The timeline's lines: what follows the title, up to the page hint. */
const entries = (text: string) =>
  text
    .split('\n')
    .slice(1)
    .filter((l) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC · /.test(l));

function pageButtons(message: Message): Record<string, string> {
  const out: Record<string, string> = {};
  for (const block of (message.blocks ?? []) as KnownBlock[]) {
    if (block.type !== 'actions') continue;
    for (const el of block.elements)
      if (el.type === 'button' && actionKind(el.action_id ?? '') === PAGE_ACTION)
        out[el.text.text] = el.value ?? '';
  }
  return out;
}

/** Reads the application until Argo CD has finished the operation someone else started. */
async function finishForeignOperation(name: string) {
  for (let i = 0; i < 6 && argocd.app(name).operation; i++)
    await fetch(`${argocd.url}/api/v1/applications/${name}`, {
      headers: { authorization: 'Bearer argo-cd-test' },
    });
  expect(argocd.app(name).operation).toBeNull();
}

describe('changes', () => {
  it('lists a task run, a dpbot scale, a kubectl scale, a scheduled workflow and an Argo CD sync, newest first, with who', async () => {
    // 1. A task run for team-x, then a scale by dpbot: both stamped by PostgreSQL, in this order.
    const task = await run('task run compact-table team=team-x table=orders_daily', GRACE);
    expect(task.outcome).toBe('ok');
    const scale = await run('scale team-x 8 --reason "backlog"', GRACE);
    expect(scale.outcome).toBe('ok');
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(8);

    // 2. A minute later by the clusters' clock: someone scales with kubectl, outside dpbot, through
    // the real client library, as `kubectl scale` does (a patch of the scale subresource).
    aheadMs = 60_000;
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    kc.setCurrentContext('sandbox');
    await kc.makeApiClient(k8s.AppsV1Api).patchNamespacedDeploymentScale(
      {
        name: 'ingest-workers',
        namespace: 'team-x',
        body: { spec: { replicas: 6 } },
        fieldManager: 'kubectl-scale',
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );

    // 3. Ninety seconds on: a CronWorkflow's run in the team's namespace.
    aheadMs = 90_000;
    const scheduled = clock()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    tasks.argo.addWorkflow({
      metadata: {
        name: 'nightly-compact-1765000000',
        namespace: 'team-x',
        labels: { 'workflows.argoproj.io/cron-workflow': 'nightly-compact' },
        creationTimestamp: scheduled,
      },
      spec: { workflowTemplateRef: { name: 'compact-table', clusterScope: true } },
      status: { phase: 'Succeeded', startedAt: scheduled, finishedAt: scheduled },
    });

    // 4. Two minutes on: alice syncs the team's application in Argo CD's UI.
    aheadMs = 120_000;
    argocd.startForeignSync('team-x-app', REVISION_NEW, 'alice');
    await finishForeignOperation('team-x-app');

    const changes = await run('changes team-x', LINUS);
    expect(changes.outcome).toBe('ok');
    // What Slack would get: within Block Kit's limits, mrkdwn escaped.
    expect(checkMessage(slackPayload(changes.message))).toEqual([]);
    const lines = entries(changes.text);
    const index = (pattern: RegExp) => {
      const i = lines.findIndex((l) => pattern.test(l));
      expect(i, `${pattern} in\n${changes.text}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    const argo = index(/ · alice · synced team-x-app to b2b2b2b \(history \d+\)/);
    const cron = index(
      / · CronWorkflow nightly-compact · scheduled workflow nightly-compact-1765000000: Succeeded/,
    );
    const kubectl = index(
      / · kubectl-scale · team-x\/workers: Scaled down replica set ingest-workers-\w+ from 8 to 6/,
    );
    const dpbot = index(
      / · Grace Hopper \(grace@example.com\) · scaled team-x\/workers 4 → 8 \(why: backlog\)/,
    );
    const run1 = index(/ · Grace Hopper · task compact-table run #\d+: /);
    expect([argo, cron, kubectl, dpbot, run1]).toEqual(
      [...[argo, cron, kubectl, dpbot, run1]].sort((a, b) => a - b),
    );
    expect(argo).toBe(0);
    // dpbot's own write shows once, from its audit row, not again as the cluster's event.
    expect(lines.filter((l) => l.includes('from 4 to 8'))).toEqual([]);
    // Links: the Argo CD application, the workflow in the Argo UI, the audit row.
    expect(lines[argo]).toContain(`Argo CD: team-x-app: ${argocd.url}/applications/team-x-app`);
    expect(lines[cron]).toContain('https://argo.example.com/workflows/team-x/nightly-compact-1765000000');
    expect(lines[dpbot]).toMatch(/ · audit #\d+$/);
    expect(JSON.stringify(changes.message.blocks)).toContain(
      `<${argocd.url}/applications/team-x-app|Argo CD: team-x-app>`,
    );

    // The request itself is audited like every command.
    const rows = await auditRowsOf<{
      kind: string;
      decision: string | null;
      action: string;
      resource: string;
    }>(database, changes.requestId, 'kind, decision, action, resource');
    expect(rows.map((r) => [r.kind, r.decision, r.action, r.resource])).toEqual([
      ['attempt', 'allow', 'changes.read', 'team:team-x'],
      ['outcome', 'allow', 'changes.read', 'team:team-x'],
    ]);
  });

  it('pages the timeline with Next / Previous, which run the page as a command', async () => {
    const first = await run('changes team-x limit=2', LINUS);
    expect(first.text.split('\n')[0]).toMatch(/newest first, 1–2 · page 1 of \d+/);
    expect(pageButtons(first.message)).toEqual({ 'Next ›': 'changes team-x limit=2 page=2' });
    const second = await pressButton(app, 'changes team-x limit=2 page=2', {
      email: LINUS,
      actionId: PAGE_ACTION,
    });
    expect(second.outcome).toBe('ok');
    expect(second.message.text.split('\n')[0]).toMatch(/newest first, 3–4 · page 2 of \d+/);
    expect(pageButtons(second.message)).toMatchObject({ '‹ Previous': 'changes team-x limit=2 page=1' });
    expect(entries(second.message.text)[0]).toBe(entries((await run('changes team-x', LINUS)).text)[2]);
  });

  it('shows a source it cannot read as a line, and the rest still', async () => {
    argocd.denied.add('get team-x-app');
    try {
      const changes = await run('changes team-x', LINUS);
      expect(changes.outcome).toBe('ok');
      expect(changes.text).toMatch(/^⚠️ Argo CD could not be read: permission denied for GET /m);
      expect(changes.text).toContain('kubectl-scale · team-x/workers: Scaled down');
      expect(changes.text).not.toContain('alice');
    } finally {
      argocd.denied.delete('get team-x-app');
    }
  });

  it("lists a service's Argo CD history: a rollback is a return to an earlier revision", async () => {
    argocd.startForeignSync('orders-api', 'e5'.repeat(20), 'bob');
    await finishForeignOperation('orders-api');
    const changes = await run('changes orders-api 8d', LINUS);
    expect(changes.outcome).toBe('ok');
    expect(changes.text.split('\n')[0]).toContain('Changes to service orders-api since ');
    expect(entries(changes.text)).toEqual([
      expect.stringMatching(
        / · bob · rolled orders-api back to e5e5e5e from d4d4d4d \(history 2\) · Argo CD: orders-api: /,
      ),
      expect.stringMatching(/ · admin · synced orders-api to d4d4d4d \(history 1\) · Argo CD: orders-api: /),
    ]);
    // A week is not enough for the first deployment, two weeks are.
    expect(entries((await run('changes orders-api since=14d', LINUS)).text)).toHaveLength(3);
  });

  it('answers an unknown name with a suggestion, and a bad since with what to write', async () => {
    const unknown = await run('changes team-xx', LINUS);
    expect(unknown.outcome).toBe('invalid');
    expect(unknown.text).toContain('there is no team or service "team-xx"; did you mean "team-x"?');
    const since = await run('changes team-x yesterday', LINUS);
    expect(since.outcome).not.toBe('ok');
    expect(since.text).toContain(
      '"yesterday" is not a time: use a duration such as 7d or 24h, or a date such as 2026-11-01',
    );
  });
});
