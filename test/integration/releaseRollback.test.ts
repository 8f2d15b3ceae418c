import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import { deploymentHistory } from '../../integrations/argocd/assess.ts';
import { CONFIRM_ACTION, RUN_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

let world: ReleaseWorld;
let platformHead = '';

beforeAll(async () => {
  world = await startReleaseWorld();
  platformHead = world.github.repository('acme/platform').commits.at(-1)?.oid ?? '';
  // The platform revision of this release breaks catalog: its rollouts end Degraded.
  world.argocd.badRevisions.add(platformHead);
});
afterAll(async () => {
  await world.close();
});

const releaseMessage = () => world.notifier.posted.find((p) => p.channel === '#releases' && !p.threadTs);
const threadPosts = (service: string) => {
  const thread = world.notifier.posted.find((p) => !p.threadTs && p.message.text.startsWith(`${service}:`));
  return world.notifier.posted.filter((p) => thread !== undefined && p.threadTs === thread.ts);
};
const pendingId = (r: { responder: { sent: { message: { blocks?: unknown[] } }[] } }) =>
  buttons(r.responder.sent[0]?.message.blocks as never)[0]?.value ?? '';

async function confirmAs(text: string, email: string, viaButton = false) {
  const asked = viaButton ? await press(world, RUN_ACTION, text, email) : await run(world, text, email);
  expect(asked.outcome).toBe('awaiting_confirmation');
  return { asked, id: pendingId(asked) };
}

async function auditOutcomes(where: string, values: unknown[] = []): Promise<string[]> {
  const rows = await world.database.query<{ outcome: string }>(
    `SELECT outcome FROM audit_log WHERE ${where} ORDER BY id`,
    values,
  );
  return rows.rows.map((r) => r.outcome);
}

describe('a release whose deployment goes wrong', () => {
  it('waits out another Argo CD operation, stops on Degraded, and offers a Rollback button', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', 'linus@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'ada@example.com')).outcome).toBe('ok');
    // Someone syncs orders-api by hand just before the release.
    world.argocd.startForeignSync('orders-api', world.argocd.app('orders-api').syncedRevision);
    const { id } = await confirmAs('release ship', 'ada@example.com');
    expect((await press(world, CONFIRM_ACTION, id, 'ada@example.com')).outcome).toBe('ok');

    await eventually(
      async () => {
        const r = await world.database.query('SELECT status FROM releases WHERE id = 1');
        expect(r.rows[0]).toEqual({ status: 'failed' });
      },
      25_000,
      200,
    );
    const apps = await world.database.query(
      'SELECT application, status, blocked > 0 AS waited, message FROM release_apps ORDER BY application',
    );
    expect(apps.rows).toEqual([
      expect.objectContaining({
        application: 'catalog-api',
        status: 'degraded',
        message: expect.stringContaining('exceeded its progress deadline'),
      }),
      expect.objectContaining({ application: 'catalog-worker', status: 'degraded' }),
      { application: 'orders-api', status: 'healthy', waited: true, message: 'Healthy' },
    ]);
    // Healthy counted only after it held for the settle time, never at first sight.
    const updates = world.notifier.posted.find((p) => p.ts === releaseMessage()?.ts)?.updates ?? [];
    expect(updates.some((u) => u.text.includes('orders-api syncing'))).toBe(true);
    const statusLines = updates.map((u) => JSON.stringify(u.blocks));
    expect(statusLines.some((s) => s.includes('Healthy, settling'))).toBe(true);
    expect(statusLines.some((s) => s.includes('another operation is already in progress'))).toBe(true);

    // The failure is recorded just after the release's status changes.
    let events: string[] = [];
    await eventually(async () => {
      events = await auditOutcomes("request_id = 'release-1' AND kind = 'event'");
      expect(events).toEqual(
        expect.arrayContaining(['sync_started', 'sync_degraded', 'sync_healthy', 'ship_failed']),
      );
    });
    expect(events).not.toContain('shipped');
    // No stakeholder heard of a release that did not ship.
    expect(world.notifier.posted.filter((p) => !p.channel.startsWith('#releases'))).toEqual([]);
    const posts = threadPosts('catalog').map((p) => p.message.text);
    expect(posts.some((t) => t.startsWith('catalog-api is degraded'))).toBe(true);
    expect(posts.some((t) => t.includes('release rollback catalog-api --release 1'))).toBe(true);
    // catalog-worker is auto-synced: Argo CD refuses the sync to the commit (asked first, as for
    // every application) and syncs only the branch it follows, so dpbot synced main without a
    // revision once GitHub said main is at the release commit.
    const workerSyncs = world.argocd.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/catalog-worker/sync'),
    );
    expect(workerSyncs.map((r) => r.body)).toEqual([
      { name: 'catalog-worker', revision: platformHead, prune: false, dryRun: false },
      { name: 'catalog-worker', prune: false, dryRun: false },
    ]);
    expect(
      posts.some(
        (t) =>
          t.startsWith('Auto-sync is on for catalog-worker') &&
          t.includes(`main is at ${platformHead.slice(0, 7)}, the release commit, so dpbot synced main`),
      ),
    ).toBe(true);
  });

  it('rolls back under auto-sync once, however often it is clicked, and reminds until auto-sync is back', async () => {
    const latest = world.notifier.latest(releaseMessage()?.ts ?? '');
    const rollbackWorker = buttons(latest?.blocks).find((b) => b.label === 'Rollback catalog-worker');
    expect(rollbackWorker?.value).toBe('release rollback catalog-worker --release 1');

    // Not everyone may: grace may roll back orders-api only.
    const denied = await press(world, RUN_ACTION, rollbackWorker?.value ?? '', 'grace@example.com');
    expect(denied.outcome).toBe('denied');
    expect(denied.rows).toEqual([
      expect.objectContaining({
        decision: 'deny',
        action: 'release.rollback',
        resource: 'app:catalog-worker',
      }),
    ]);

    // Two clicks, two questions; both confirmed at once: one rollback.
    const first = await confirmAs(rollbackWorker?.value ?? '', 'ada@example.com', true);
    expect(first.asked.texts[0]).toMatch(
      /^Confirm: Roll back catalog-worker \(catalog\) of release #1 from \w{7} to \w{7}$/,
    );
    expect(JSON.stringify(first.asked.responder.sent[0]?.message.blocks)).toContain(
      'Auto-sync is on for catalog-worker',
    );
    const second = await confirmAs(rollbackWorker?.value ?? '', 'ada@example.com', true);
    const [a, b] = await Promise.all([
      press(world, CONFIRM_ACTION, first.id, 'ada@example.com'),
      press(world, CONFIRM_ACTION, second.id, 'ada@example.com'),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['conflict', 'ok']);
    const loser = a.outcome === 'conflict' ? a : b;
    expect(loser.texts[0]).toMatch(
      /catalog-worker (was already rolled back|is being rolled back) by ada@example.com/,
    );
    const rollbackOps = world.argocd.requests.filter(
      (r) => r.method === 'POST' && r.path.endsWith('/catalog-worker/rollback'),
    );
    expect(rollbackOps).toHaveLength(1);
    // Argo CD numbers history from 0: 0 and 1 before the release, 2 its sync; 1 ran before it.
    expect(rollbackOps[0]?.body).toMatchObject({ id: 1, prune: false });
    // Auto-sync was turned off first, with a merge patch, and that step is audited.
    const patch = world.argocd.requests.find(
      (r) => r.method === 'PATCH' && r.path.endsWith('/catalog-worker'),
    );
    expect(patch?.body).toMatchObject({
      patchType: 'merge',
      patch: JSON.stringify({ spec: { syncPolicy: { automated: null } } }),
    });
    const winner = a.outcome === 'ok' ? first : second;
    const steps = await world.database.query(
      'SELECT kind, outcome, detail FROM audit_log WHERE request_id = (SELECT request_id FROM audit_log WHERE outcome = $1 LIMIT 1) ORDER BY id',
      ['autosync_disabled'],
    );
    expect(steps.rows.map((r) => r.outcome)).toEqual([
      null,
      'confirmation_requested',
      'confirmed',
      'autosync_disabled',
      'ok',
    ]);
    expect(steps.rows[3]?.detail).toEqual({
      application: 'catalog-worker',
      policy: { prune: true, selfHeal: true },
    });
    expect(winner.id).toBeTruthy();

    // The rollback is followed until healthy on the old revision.
    await eventually(
      async () => {
        const r = await world.database.query(
          "SELECT status FROM release_apps WHERE application = 'catalog-worker'",
        );
        expect(r.rows[0]).toEqual({ status: 'rolled_back' });
      },
      15_000,
      200,
    );
    // History entry 1 is what ran before the release.
    expect(world.argocd.app('catalog-worker').syncedRevision).toBe(
      world.argocd.app('catalog-worker').history.find((h) => h.id === 1)?.revision,
    );

    // The thread says auto-sync is off, and reminds until it is back on.
    await eventually(
      () => {
        expect(
          threadPosts('catalog').some((p) =>
            p.message.text.startsWith('Reminder: auto-sync of catalog-worker is still off'),
          ),
        ).toBe(true);
      },
      15_000,
      200,
    );
    expect(threadPosts('catalog').some((p) => p.message.text.includes('turned auto-sync off'))).toBe(true);
    const worker = world.argocd.app('catalog-worker');
    // `enabled: false` (Argo CD ≥ 3.1) keeps auto-sync off: the reminders go on.
    const reminders = () =>
      threadPosts('catalog').filter((p) =>
        p.message.text.startsWith('Reminder: auto-sync of catalog-worker is still off'),
      ).length;
    worker.automated = { enabled: false, prune: true, selfHeal: true };
    // One more than the next, which may have read Argo CD before the change.
    const seen = reminders() + 1;
    await eventually(() => expect(reminders()).toBeGreaterThan(seen), 15_000, 200);
    expect(
      threadPosts('catalog').some((p) => p.message.text === 'Auto-sync of catalog-worker is on again.'),
    ).toBe(false);
    worker.automated = { prune: true, selfHeal: true };
    await eventually(
      () => {
        expect(
          threadPosts('catalog').some((p) => p.message.text === 'Auto-sync of catalog-worker is on again.'),
        ).toBe(true);
      },
      15_000,
      200,
    );
    const events = await auditOutcomes("request_id = 'rollback-release:1:catalog-worker'");
    expect(events).toEqual(
      expect.arrayContaining(['rollback_healthy', 'autosync_reminder', 'autosync_restored']),
    );
  });

  it('rolls a service back outside a release, once', async () => {
    const before = world.argocd.app('orders-api').history.map((h) => h.id);
    const current = before.at(-1);
    const first = await confirmAs('rollback orders-api', 'grace@example.com');
    const second = await confirmAs('rollback orders-api', 'grace@example.com');
    const [a, b] = await Promise.all([
      press(world, CONFIRM_ACTION, first.id, 'grace@example.com'),
      press(world, CONFIRM_ACTION, second.id, 'grace@example.com'),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['conflict', 'ok']);
    const ok = a.outcome === 'ok' ? a : b;
    expect(ok.texts[0]).toMatch(
      /^Grace Hopper rolled back orders-api \(orders-api\) outside a release \(release #1 deployed it\) from \w{7} to \w{7} \(Argo CD history \d+\)/,
    );
    const claimed = await world.database.query(
      "SELECT key, status, requested_by FROM rollbacks WHERE key LIKE 'app:%'",
    );
    expect(claimed.rows).toEqual([
      { key: `app:orders-api:${current}`, status: 'done', requested_by: 'grace@example.com' },
    ]);
    const denied = await run(world, 'rollback catalog', 'grace@example.com');
    expect(denied.outcome).toBe('denied');
    const unknown = await run(world, 'rollback nothing-here', 'ada@example.com');
    expect(unknown.outcome).toBe('invalid');
    expect(unknown.texts[0]).toContain(
      'there is no service "nothing-here"; services you may use: catalog, ingest, orders-api',
    );
    expect(unknown.rows.at(-1)).toMatchObject({ kind: 'attempt', outcome: 'unknown_resource' });
  });

  it('takes over a rollback left started by a process that stopped, once its lease has run out', async () => {
    // The claim's key names the deployment rolled back from, as Argo CD reports it.
    // (once the rollback of the test before has finished, which adds to that history).
    const argocd = releaseDeps(world.app.services).argocd;
    if (!argocd) throw new Error('the release world has Argo CD');
    const app = await eventually(async () => {
      const read = await argocd.get('orders-api');
      expect(read.operation).toBeFalsy();
      expect(read.status?.operationState?.phase).not.toBe('Running');
      return read;
    });
    const current = deploymentHistory(app).at(-1)?.id;
    const key = `app:orders-api:${current}`;
    const rollbackOps = () =>
      world.argocd.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/orders-api/rollback'));
    // Claimed a moment ago by a process that then stopped (killed between its claim and Argo CD).
    await world.database.query(
      `INSERT INTO rollbacks (key, service, application, history_id, requested_by, status)
       VALUES ($1, 'orders-api', 'orders-api', 0, 'linus@example.com', 'started')
       ON CONFLICT (key) DO UPDATE SET status = 'started', requested_by = 'linus@example.com', updated_at = now()`,
      [key],
    );
    const before = rollbackOps().length;
    const fresh = await confirmAs('rollback orders-api', 'grace@example.com');
    const held = await press(world, CONFIRM_ACTION, fresh.id, 'grace@example.com');
    expect(held.outcome).toBe('conflict');
    expect(held.texts[0]).toMatch(
      /orders-api is being rolled back by linus@example\.com \(since .+\); a rollback takes seconds, so if that was over 5 minutes ago the process doing it stopped part-way: press Rollback again/,
    );
    expect(rollbackOps()).toHaveLength(before);

    // Past the lease the claim is taken over, and the rollback runs, once.
    await world.database.query(
      "UPDATE rollbacks SET updated_at = now() - interval '6 minutes' WHERE key = $1",
      [key],
    );
    const again = await confirmAs('rollback orders-api', 'grace@example.com');
    const [a, b] = await Promise.all([
      press(world, CONFIRM_ACTION, again.id, 'grace@example.com'),
      confirmAs('rollback orders-api', 'grace@example.com').then((c) =>
        press(world, CONFIRM_ACTION, c.id, 'grace@example.com'),
      ),
    ]);
    expect([a.outcome, b.outcome].sort()).toEqual(['conflict', 'ok']);
    expect(rollbackOps()).toHaveLength(before + 1);
    const row = await world.database.query('SELECT status, requested_by FROM rollbacks WHERE key = $1', [
      key,
    ]);
    expect(row.rows).toEqual([{ status: 'done', requested_by: 'grace@example.com' }]);
  });

  it('a stopped release can be cancelled, which frees the way for the next one', async () => {
    const { id } = await confirmAs('release cancel --reason "catalog broke"', 'ada@example.com');
    expect((await press(world, CONFIRM_ACTION, id, 'ada@example.com')).outcome).toBe('ok');
    const r = await world.database.query('SELECT status, active FROM releases WHERE id = 1');
    expect(r.rows[0]).toEqual({ status: 'cancelled', active: null });
    const status = await run(world, 'release status 1', 'linus@example.com');
    expect(status.texts[0]).toContain('Cancelled');
  });
});
