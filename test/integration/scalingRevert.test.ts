import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { QUEUES } from '../../handlers/scaling/queues.ts';
import { runRevert, sweepReverts } from '../../handlers/scaling/reverts.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { recordingNotifier } from '../support/notifier.ts';
import { runAs, seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';

let kube: RunningKubernetes;
let fixture: Fixture;
let database: TestDatabase;
/** Two replicas sharing the database, started after the first instance stopped. */
let replicaA: App | undefined;
let replicaB: App | undefined;
const notifier = recordingNotifier();

interface RevertRow {
  id: string;
  status: string;
  from_replicas: number;
  to_replicas: number;
  job_id: string | null;
  thread_ts: string | null;
  settled_by: string | null;
}

beforeAll(async () => {
  kube = await startKubernetes(seedClusters, { readyStep: 2 });
  fixture = createFixture({ config: workersConfig(kube.kubeconfigPath), policies: workersPolicies });
  database = await createTestDatabase();
});
afterAll(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await database.drop();
  await kube.stop();
  fixture.remove();
});

/** The replicas the first case starts, started here for a case that runs without it. */
async function replicasRunning(): Promise<void> {
  replicaA ??= await startTestApp(fixture, database, { runWorkers: true, notifier });
  replicaB ??= await startTestApp(fixture, database, { runWorkers: true, notifier });
}

function app(): App {
  if (!replicaA) throw new Error('the replicas are not running');
  return replicaA;
}

async function revertOf(requestId: string): Promise<RevertRow> {
  const rows = await database.query<RevertRow>('SELECT * FROM scale_reverts WHERE request_id = $1', [
    requestId,
  ]);
  const row = rows.rows[0];
  if (!row) throw new Error(`no revert for request ${requestId}`);
  return row;
}

async function jobState(id: string | null): Promise<string | undefined> {
  const rows = await database.query<{ state: string }>('SELECT state FROM pgboss.job WHERE id = $1', [id]);
  return rows.rows[0]?.state;
}

async function revertEvents(
  revertId: string,
): Promise<{ outcome: string; error: string | null; entry: string; kind: string }[]> {
  const rows = await database.query<{ outcome: string; error: string | null; entry: string; kind: string }>(
    "SELECT outcome, error, entry, kind FROM audit_log WHERE detail->>'revertOf' = $1 ORDER BY id",
    [revertId],
  );
  return rows.rows;
}

const replicas = () => kube.sim.replicas('Deployment', 'team-x', 'ingest-workers');
/** The count a case starts from, set as another client would, whatever ran before it. */
const startAt = (count: number) =>
  kube.sim.update('Deployment', 'team-x', 'ingest-workers', (o) => {
    (o.spec as { replicas: number }).replicas = count;
  });
const threadPosts = (ts: string | null | undefined) => notifier.posts.filter((p) => ts && p.threadTs === ts);

describe('temporary scale', () => {
  it('reverts when the time is up, exactly once, after a restart, with two replicas sharing the database', async () => {
    const first = await startTestApp(fixture, database);
    const r = await runAs(first, database, 'scale team-x 8 --for 2s --reason "backfill lag"', GRACE);
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain('scaled team-x/workers 4 → 8 for 2s');
    expect(r.text).toMatch(/Reverts to 4 at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const pending = await revertOf(r.requestId);
    expect(pending).toMatchObject({
      status: 'pending',
      from_replicas: 4,
      to_replicas: 8,
      thread_ts: r.ref?.ts,
    });
    expect(pending.job_id).toBeTruthy();
    // The instance that scheduled the revert stops before it is due; two others take over.
    await first.close();
    expect((await revertOf(r.requestId)).status).toBe('pending');
    expect(replicas()).toBe(8);
    replicaA = await startTestApp(fixture, database, { runWorkers: true, notifier });
    replicaB = await startTestApp(fixture, database, { runWorkers: true, notifier });

    await eventually(async () => expect((await revertOf(r.requestId)).status).toBe('reverted'), 20_000);
    expect(replicas()).toBe(4);
    // The job finishes once the revert is announced.
    await eventually(async () => expect(await jobState(pending.job_id)).toBe('completed'));
    const writes = kube.sim.requests.filter(
      (q) =>
        q.method === 'PUT' &&
        q.path.endsWith('/ingest-workers/scale') &&
        (q.body as { spec?: { replicas?: number } }).spec?.replicas === 4,
    );
    expect(writes).toHaveLength(1);
    expect(await revertEvents(pending.id)).toEqual([
      { outcome: 'reverted', error: null, entry: 'system', kind: 'event' },
    ]);
    const posts = threadPosts(r.ref?.ts);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.channel).toBe('C-ONCALL');
    expect(posts[0]?.message.text).toContain('dpbot reverted team-x/workers 8 → 4, as planned');
    expect(posts[0]?.message.text).toContain('4 → 8 was set by <@U0GRACE001> for 2s ("backfill lag")');
    expect(posts[0]?.message.text).toContain('Scaled down to 4: all 4 ready');
  });

  it('a later manual scale supersedes the pending revert, cancels its job and says so', async () => {
    await replicasRunning();
    startAt(4);
    const temporary = await runAs(app(), database, 'scale team-x 8 --for 1h --reason "temporary"', GRACE);
    expect(temporary.outcome).toBe('ok');
    const row = await revertOf(temporary.requestId);
    const manual = await runAs(app(), database, 'scale team-x 6 --reason "steady"', ADA);
    expect(manual.outcome).toBe('ok');
    expect(manual.text).toMatch(
      /This replaces the pending revert to 4 at .* UTC \(4 → 8 was set by <@U0GRACE001> for 1h \("temporary"\)\): the new count stays until changed\./,
    );
    expect(await revertOf(temporary.requestId)).toMatchObject({ status: 'superseded', settled_by: ADA });
    expect(await jobState(row.job_id)).toBe('cancelled');
    expect(manual.rows.find((x) => x.outcome === 'scaled')?.detail).toMatchObject({
      from: 8,
      to: 6,
      superseded: row.id,
    });
    expect(replicas()).toBe(6);
  });

  it('a temporary change over another one restores what was there before both', async () => {
    await replicasRunning();
    startAt(6);
    const a = await runAs(app(), database, 'scale team-x 8 --for 1h', GRACE);
    const b = await runAs(app(), database, 'scale team-x 10 --for 2h', GRACE);
    expect(b.outcome).toBe('ok');
    expect(b.text).toContain('Reverts to 6 at');
    expect(await revertOf(a.requestId)).toMatchObject({ status: 'superseded' });
    expect(await revertOf(b.requestId)).toMatchObject({
      status: 'pending',
      from_replicas: 6,
      to_replicas: 10,
    });
  });

  it('--revert restores early, said once in the original thread (the caller is pointed there); a second --revert finds nothing', async () => {
    await replicasRunning();
    // A temporary change to revert: 6 → 10 for 2h.
    startAt(6);
    expect((await runAs(app(), database, 'scale team-x 10 --for 2h', GRACE)).outcome).toBe('ok');
    const pending = await database.query<{
      request_id: string;
      thread_ts: string;
      id: string;
      job_id: string;
    }>(
      "SELECT request_id, thread_ts, id, job_id FROM scale_reverts WHERE team = 'team-x' AND status = 'pending'",
    );
    const row = pending.rows[0];
    if (!row) throw new Error('expected a pending revert');
    const postsBefore = notifier.posts.length;
    const early = await runAs(app(), database, 'scale team-x --revert --reason "backlog cleared"', GRACE);
    expect(early.outcome).toBe('ok');
    expect(early.text).toContain('reverted team-x/workers early: 10 → 6. The thread of the change says so.');
    expect(replicas()).toBe(6);
    expect(await revertOf(row.request_id)).toMatchObject({ status: 'reverted_early', settled_by: GRACE });
    expect(await jobState(row.job_id)).toBe('cancelled');
    expect(threadPosts(row.thread_ts).map((p) => p.message.text)).toEqual([
      expect.stringContaining('<@U0GRACE001> reverted team-x/workers early: 10 → 6'),
    ]);
    expect(threadPosts(row.thread_ts)[0]?.message.text).toContain('Why: backlog cleared');
    // Once: nothing else was posted, in the channel or anywhere.
    expect(notifier.posts.length).toBe(postsBefore + 1);
    expect(early.rows.find((x) => x.outcome === 'scaled')?.detail).toMatchObject({
      from: 10,
      to: 6,
      revertOf: row.id,
    });

    const again = await runAs(app(), database, 'scale team-x --revert', GRACE);
    expect(again.outcome).toBe('not_found');
    expect(again.text).toContain('team-x has no temporary change waiting to be reverted');
    expect(again.rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'not_found' });
  });

  it('leaves a count someone changed since alone, and says so', async () => {
    await replicasRunning();
    startAt(6);
    const r = await runAs(app(), database, 'scale team-x 8 --for 1s', GRACE);
    expect(r.outcome).toBe('ok');
    kube.sim.update('Deployment', 'team-x', 'ingest-workers', (o) => {
      (o.spec as { replicas: number }).replicas = 11;
    });
    const row = await revertOf(r.requestId);
    await eventually(async () => expect((await revertOf(r.requestId)).status).toBe('skipped'), 20_000);
    expect(replicas()).toBe(11);
    expect(await revertEvents(row.id)).toEqual([
      expect.objectContaining({ outcome: 'revert_skipped', entry: 'system' }),
    ]);
    await eventually(() =>
      expect(threadPosts(r.ref?.ts).at(-1)?.message.text).toContain(
        'dpbot did not revert team-x/workers to 6',
      ),
    );
  });

  it('retries a revert the cluster refused once, and audits both attempts', async () => {
    await replicasRunning();
    startAt(11);
    const r = await runAs(app(), database, 'scale team-x 8 --for 1s', GRACE);
    expect(r.outcome).toBe('ok');
    kube.sim.server.inject({
      method: 'PUT',
      path: /ingest-workers\/scale$/,
      status: 500,
      body: { kind: 'Status', code: 500, message: 'etcdserver: request timed out' },
      times: 1,
    });
    const row = await revertOf(r.requestId);
    await eventually(async () => expect((await revertOf(r.requestId)).status).toBe('reverted'), 25_000);
    expect(replicas()).toBe(11);
    const events = await revertEvents(row.id);
    expect(events.map((e) => e.outcome)).toEqual(['revert_failed', 'reverted']);
    expect(events[0]?.error).toContain('answered 500');
    expect(events[0]?.error).toContain('will retry');
  });

  it('gives up after the last attempt, marks the revert failed and says how to restore by hand', async () => {
    await replicasRunning();
    startAt(11);
    const r = await runAs(app(), database, 'scale team-x 8 --for 1h', GRACE);
    const row = await revertOf(r.requestId);
    kube.sim.server.inject({ method: 'PUT', path: /ingest-workers\/scale$/, status: 500, times: 1 });
    // The job's last attempt, run directly (the real handler, database and client).
    await runRevert(app().services, row.id, { retryCount: 5, retryLimit: 5 });
    expect(await revertOf(r.requestId)).toMatchObject({ status: 'failed', settled_by: 'dpbot' });
    expect(replicas()).toBe(8);
    expect((await revertEvents(row.id)).map((e) => e.outcome)).toEqual(['revert_failed']);
    const post = threadPosts(r.ref?.ts).at(-1)?.message.text;
    expect(post).toContain('dpbot could not revert team-x/workers to 11');
    expect(post).toContain('Restore it by hand: scale team-x 11 --target workers');
  });

  it('the sweep queues a revert whose job was lost, and it runs once', async () => {
    await replicasRunning();
    startAt(8);
    const r = await runAs(app(), database, 'scale team-x 6 --for 1h', GRACE);
    const row = await revertOf(r.requestId);
    // As if the process had stopped between the change and queueing the job.
    await app().services.jobs.cancel(QUEUES.revert, row.job_id ?? '');
    await database.query(
      "UPDATE scale_reverts SET job_id = NULL, due_at = now() - interval '2 minutes' WHERE id = $1",
      [row.id],
    );
    expect(await sweepReverts(app().services)).toBe(1);
    await eventually(async () => expect((await revertOf(r.requestId)).status).toBe('reverted'), 20_000);
    expect(replicas()).toBe(8);
    expect((await revertEvents(row.id)).map((e) => e.outcome)).toEqual(['reverted']);
  });

  it('a revert killed after its Kubernetes change, before recording it, is recorded reverted on retry: changed and announced once', async () => {
    await replicasRunning();
    startAt(4);
    const r = await runAs(app(), database, 'scale team-x 7 --for 1h --reason "catch up"', GRACE);
    expect(r.outcome).toBe('ok');
    const row = await revertOf(r.requestId);
    // What the killed attempt left: its start marked (committed before the change), the count
    // restored in Kubernetes, and the row still pending (its transaction died with it).
    await app().services.jobs.cancel(QUEUES.revert, row.job_id ?? '');
    await database.query('UPDATE scale_reverts SET revert_started_at = now() WHERE id = $1', [row.id]);
    startAt(4);
    const writesBefore = kube.sim.requests.filter(
      (q) => q.method === 'PUT' && q.path.endsWith('/ingest-workers/scale'),
    ).length;
    // The retry, run directly (the real handler, database and client).
    await runRevert(app().services, row.id, { retryCount: 1, retryLimit: 3 });
    expect(await revertOf(r.requestId)).toMatchObject({ status: 'reverted', settled_by: 'dpbot' });
    expect(replicas()).toBe(4);
    expect(
      kube.sim.requests.filter((q) => q.method === 'PUT' && q.path.endsWith('/ingest-workers/scale')),
    ).toHaveLength(writesBefore);
    const events = await database.query<{ outcome: string; detail: Record<string, unknown> }>(
      "SELECT outcome, detail FROM audit_log WHERE detail->>'revertOf' = $1 ORDER BY id",
      [row.id],
    );
    expect(events.rows).toEqual([
      {
        outcome: 'reverted',
        detail: expect.objectContaining({ from: 7, to: 4, recovered: true, revertOf: row.id }),
      },
    ]);
    const posts = threadPosts(r.ref?.ts);
    expect(posts).toHaveLength(1);
    expect(posts[0]?.message.text).toContain('dpbot reverted team-x/workers 7 → 4, as planned');
    // A second retry (the job run again) finds it settled and does nothing.
    await runRevert(app().services, row.id, { retryCount: 2, retryLimit: 3 });
    expect(threadPosts(r.ref?.ts)).toHaveLength(1);
  });
});
