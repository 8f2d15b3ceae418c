import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { runAs, workersConfig, workersPolicies } from '../support/workers.ts';

const COMMANDS = 20;
const START = 41;
// Twenty distinct counts, none the starting one, all within 2× of each other and of the start,
// so no command stops for a confirmation, and none is "already at" its count.
const COUNTS = Array.from({ length: COMMANDS }, (_, i) => 21 + ((i * 7) % COMMANDS));
/** More teams than the database pool (10) has connections. */
const OTHER_TEAMS = Array.from({ length: 14 }, (_, i) => `team-${i + 1}`);

let kube: RunningKubernetes;
let fixture: Fixture;
let database: TestDatabase;
/** Two replicas sharing the database: the team lock must hold across processes, not only within one. */
let replicas: App[] = [];

beforeAll(async () => {
  kube = await startKubernetes((sim) => {
    sim.addWorkload({ kind: 'Deployment', namespace: 'team-c', name: 'crawler', replicas: START });
    for (const team of OTHER_TEAMS)
      sim.addWorkload({ kind: 'Deployment', namespace: team, name: 'workers', replicas: 4 });
  });
  const config = workersConfig(kube.kubeconfigPath, { lockTimeout: '20s' });
  fixture = createFixture({
    config: {
      ...config,
      teams: [
        {
          name: 'team-c',
          maxReplicas: 50,
          targets: [
            {
              name: 'workers',
              cluster: 'sandbox',
              namespace: 'team-c',
              kind: 'Deployment',
              object: 'crawler',
            },
          ],
        },
        ...OTHER_TEAMS.map((name) => ({
          name,
          maxReplicas: 10,
          targets: [{ name: 'workers', cluster: 'sandbox', namespace: name, kind: 'Deployment' }],
        })),
      ],
    },
    policies: {
      ...workersPolicies,
      'team-c.yaml': {
        grants: [{ group: 'file:team-x-oncall', actions: ['workers.scale'], resources: ['team:team-c'] }],
      },
    },
  });
  database = await createTestDatabase();
  replicas = [await startTestApp(fixture, database), await startTestApp(fixture, database)];
});
afterAll(async () => {
  for (const app of replicas) await app.close();
  await database.drop();
  await kube.stop();
  fixture.remove();
});

interface Scaled {
  id: number;
  request_id: string;
  email: string;
  slack_user_id: string | null;
  detail: { from: number; to: number; conflicts: number };
}

describe('20 concurrent scale commands on one team', () => {
  it('apply one after another: the final count is the last applied, each is audited, no update is lost', async () => {
    expect(new Set(COUNTS).size).toBe(COMMANDS);
    const results = await Promise.all(
      COUNTS.map((n, i) =>
        runAs(
          replicas[i % replicas.length] as App,
          database,
          `scale team-c ${n} --reason "load ${i}"`,
          i % 2 ? 'ada@example.com' : 'grace@example.com',
        ),
      ),
    );
    expect(results.map((r) => r.outcome)).toEqual(COUNTS.map(() => 'ok'));

    // Every command: its attempt, the change it made, its outcome; nothing else.
    for (const r of results)
      expect(
        r.rows.map((row) => `${row.kind}:${row.outcome ?? row.decision}`),
        r.requestId,
      ).toEqual(['attempt:allow', 'step:scaled', 'outcome:ok']);

    // The changes, in the order the team lock let them through (the audit order): each one
    // starts from what the one before set, so none was lost or written over unseen.
    const { rows: steps } = await database.query<Scaled>(
      "SELECT id, request_id, email, slack_user_id, detail FROM audit_log WHERE outcome = 'scaled' ORDER BY id",
    );
    expect(steps).toHaveLength(COMMANDS);
    expect(steps[0]?.detail.from).toBe(START);
    for (let i = 1; i < steps.length; i++)
      expect(steps[i]?.detail.from, `change ${i}`).toBe(steps[i - 1]?.detail.to);
    expect(steps.map((s) => s.detail.to).sort()).toEqual([...COUNTS].sort());
    // Serialized by the lock, no write met a 409.
    expect(steps.every((s) => s.detail.conflicts === 0)).toBe(true);

    // The cluster holds the last applied count, written once per command.
    const last = steps.at(-1);
    expect(kube.sim.replicas('Deployment', 'team-c', 'crawler')).toBe(last?.detail.to);
    const writes = kube.sim.requests.filter(
      (q) => q.method === 'PUT' && q.path.endsWith('/deployments/crawler/scale'),
    );
    expect(writes.map((w) => (w.body as { spec: { replicas: number } }).spec.replicas)).toEqual(
      steps.map((s) => s.detail.to),
    );

    // Each announcement says what its change replaced: the previous change, by whom.
    const byRequest = new Map<string, (typeof results)[number]>(results.map((r) => [r.requestId, r]));
    for (let i = 1; i < steps.length; i++) {
      const step = steps[i] as Scaled;
      const text = byRequest.get(step.request_id)?.text ?? '';
      expect(text).toContain(`scaled team-c/workers ${step.detail.from} → ${step.detail.to}`);
      const before = steps[i - 1];
      const by = before?.slack_user_id ? `<@${before.slack_user_id}>` : before?.email;
      expect(text).toContain(`Replaces ${step.detail.from}, set by ${by}`);
    }
    expect((await replicas[0]?.services.audit.verify())?.ok).toBe(true);
  });
});

describe('scale commands on many teams at once', () => {
  it('all go through when they outnumber the database connections, each audited', async () => {
    const app = replicas[0] as App;
    const results = await Promise.all(
      OTHER_TEAMS.map((team) => runAs(app, database, `scale ${team} 6`, 'ada@example.com')),
    );
    expect(results.map((r) => [r.outcome, r.text.split('\n')[0]])).toEqual(
      OTHER_TEAMS.map((team) => ['ok', expect.stringContaining(`scaled ${team}/workers 4 → 6`)]),
    );
    for (const r of results)
      expect(r.rows.map((row) => `${row.kind}:${row.outcome ?? row.decision}`)).toEqual([
        'attempt:allow',
        'step:scaled',
        'outcome:ok',
      ]);
    for (const team of OTHER_TEAMS) expect(kube.sim.replicas('Deployment', team, 'workers')).toBe(6);
  });
});
