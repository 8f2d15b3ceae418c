import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { recordingNotifier } from '../support/notifier.ts';
import { slackWithPeople } from '../support/slack.ts';
import { runAs, seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

/**
 * A `dpbot start` killed (SIGKILL) in the middle of a timed revert, after Kubernetes took the change
 * and before the process could record it: another replica picks the revert up within a minute and
 * records it as done, without changing Kubernetes or announcing a second time.
 */
let kube: RunningKubernetes;
let slack: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let killed: DpbotProcess | undefined;
let replica: App | undefined;
const notifier = recordingNotifier();

beforeAll(async () => {
  kube = await startKubernetes(seedClusters, { readyStep: 2 });
  slack = slackWithPeople();
  await slack.start();
  const config = workersConfig(kube.kubeconfigPath);
  fixture = createFixture({
    config: {
      ...config,
      slack: { apiUrl: slack.apiUrl },
      // Supervision every second and pg-boss's shortest heartbeat: the retry waits for the killed
      // process's heartbeat to lapse (10 s, not the default 20), not for a pass.
      jobs: { ...config.jobs, superviseInterval: '1s', heartbeat: '10s' },
    },
    policies: workersPolicies,
  });
  database = await createTestDatabase();
});
afterAll(async () => {
  if (killed?.child.exitCode === null) killed.child.kill('SIGKILL');
  await replica?.close();
  await database.drop();
  await slack.stop();
  await kube.stop();
  fixture.remove();
});

const revertWrites = () =>
  kube.sim.requests.filter(
    (q) =>
      q.method === 'PUT' &&
      q.path.endsWith('/ingest-workers/scale') &&
      (q.body as { spec?: { replicas?: number } }).spec?.replicas === 4,
  );

describe('a timed revert whose process is killed after its Kubernetes change', () => {
  it('is recorded reverted by another replica, with one change and one announcement', async () => {
    kube.sim.update('Deployment', 'team-x', 'ingest-workers', (o) => {
      (o.spec as { replicas: number }).replicas = 4;
    });
    const first = await startTestApp(fixture, database, { notifier });
    const r = await runAs(
      first,
      database,
      'scale team-x 7 --for 2s --reason "catch up"',
      'grace@example.com',
    );
    expect(r.outcome).toBe('ok');
    await first.close();
    const [row] = (
      await database.query<{ id: string }>('SELECT id FROM scale_reverts WHERE request_id = $1', [
        r.requestId,
      ])
    ).rows;
    if (!row) throw new Error('no revert recorded');

    // Kubernetes carries the revert out at once and holds its answer: the process is killed
    // while it waits for it.
    kube.sim.server.inject({
      method: 'PUT',
      path: /ingest-workers\/scale$/,
      late: true,
      delayMs: 120_000,
      times: 1,
    });
    killed = startDpbotProcess({ configPath: fixture.configPath, databaseUrl: database.url });
    await eventually(() => expect(revertWrites()).toHaveLength(1), 60_000, 100);
    killed.child.kill('SIGKILL');
    await killed.exited;
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(4);
    const left = await database.query<{ status: string; started: boolean }>(
      'SELECT status, revert_started_at IS NOT NULL AS started FROM scale_reverts WHERE id = $1',
      [row.id],
    );
    expect(left.rows).toEqual([{ status: 'pending', started: true }]);

    replica = await startTestApp(fixture, database, { runWorkers: true, notifier });
    await eventually(
      async () => {
        const settled = await database.query<{ status: string }>(
          'SELECT status FROM scale_reverts WHERE id = $1',
          [row.id],
        );
        expect(settled.rows[0]?.status).toBe('reverted');
      },
      60_000,
      250,
    );
    expect(revertWrites()).toHaveLength(1);
    expect(kube.sim.replicas('Deployment', 'team-x', 'ingest-workers')).toBe(4);
    const events = await database.query<{ outcome: string; recovered: string | null }>(
      "SELECT outcome, detail->>'recovered' AS recovered FROM audit_log WHERE detail->>'revertOf' = $1 ORDER BY id",
      [row.id],
    );
    expect(events.rows).toEqual([{ outcome: 'reverted', recovered: 'true' }]);
    await eventually(() =>
      expect(notifier.posts.filter((p) => p.threadTs === r.ref?.ts).map((p) => p.message.text)).toEqual([
        expect.stringContaining('dpbot reverted team-x/workers 7 → 4, as planned'),
      ]),
    );
    // The killed process announced nothing in Slack.
    expect(slack.requests.filter((q) => q.path === '/api/chat.postMessage')).toEqual([]);
  }, 150_000);
});
