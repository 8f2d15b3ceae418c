import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import { planWaves } from '../../handlers/release/planWaves.ts';
import { QUEUES } from '../../handlers/release/queues.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { failInserts } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

/**
 * A ship interrupted between its steps, as a process killed there (or an older dpbot that wrote
 * them apart) leaves it: the sweep resumes it or ends it, and no application is synced twice.
 */
let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld();
});
afterAll(async () => {
  await world.close();
});

const services = () => releaseDeps(world.app.services);

async function events(): Promise<{ outcome: string; detail: Record<string, unknown> }[]> {
  const rows = await world.database.query<{ outcome: string; detail: Record<string, unknown> }>(
    "SELECT outcome, detail FROM audit_log WHERE request_id = 'release-1' AND kind = 'event' ORDER BY id",
  );
  return rows.rows;
}

const syncsOf = (application: string) =>
  world.argocd.requests.filter(
    (r) => r.method === 'POST' && r.path === `/api/v1/applications/${application}/sync`,
  );

/** What the scheduled sweep sends every minute, sent now. */
const sweep = () => services().jobs.send(QUEUES.sweep, {});

async function status(): Promise<string> {
  const r = await world.database.query<{ status: string }>('SELECT status FROM releases WHERE id = 1');
  return r.rows[0]?.status ?? 'none';
}

describe('a ship interrupted between its steps', () => {
  it('changes nothing when its watcher cannot be written; is ended with a message when only its state was written; is resumed, syncing each application once, when its watcher was lost mid-look', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', 'linus@example.com')).outcome).toBe('ok');
    expect(
      (await run(world, 'release skip ingest --reason "not this week"', 'grace@example.com')).outcome,
    ).toBe('ok');

    // The watcher's job cannot be written (the database lost mid-way): the state change goes with
    // it, and the caller is told nothing ran.
    const restore = await failInserts(
      world.database,
      'pg_temp_fail_watch',
      'pgboss.job',
      "NEW.name = 'release.watch'",
    );
    const asked = await run(world, 'release ship', 'ada@example.com');
    const pendingId = buttons(asked.responder.sent[0]?.message.blocks)[0]?.value ?? '';
    const refused = await press(world, CONFIRM_ACTION, pendingId, 'ada@example.com');
    expect(refused.outcome).toBe('error');
    await restore();
    expect(await status()).toBe('open');
    expect((await world.database.query('SELECT count(*)::int AS n FROM release_apps')).rows).toEqual([
      { n: 0 },
    ]);
    expect(
      (await world.database.query("SELECT count(*)::int AS n FROM pgboss.job WHERE name = 'release.watch'"))
        .rows,
    ).toEqual([{ n: 0 }]);

    // The state row committed and nothing else (the old code path, killed after its first statement).
    await world.database.query(
      "UPDATE releases SET status = 'shipping', ship_started_by = 'ada@example.com', ship_started_at = now() WHERE id = 1",
    );
    await sweep();
    await eventually(async () => expect(await status()).toBe('failed'), 20_000);
    await eventually(
      async () => expect((await events()).map((e) => e.outcome)).toContain('ship_interrupted'),
      20_000,
    );
    await eventually(
      () =>
        expect(
          world.notifier.posted.some((p) =>
            p.message.text.includes(
              'was left shipping with nothing started (dpbot stopped while starting it)',
            ),
          ),
        ).toBe(true),
      20_000,
    );
    expect(world.argocd.requests.filter((r) => r.method === 'POST')).toEqual([]);

    // Now a look killed mid-way: the applications are written, orders-api's sync was recorded as
    // requested and reached Argo CD, and the process died before writing the answer or sending
    // its next look.
    const snapshot = await services().releases.snapshot(1);
    if (!snapshot) throw new Error('release 1 is gone');
    const revisions = new Map(snapshot.services.map((s) => [s.service, s.revision]));
    const apps = planWaves(services(), ['orders-api', 'catalog'], revisions);
    await world.database.query("UPDATE releases SET status = 'shipping' WHERE id = 1");
    await services().releases.createApps(apps.map((a) => ({ ...a, releaseId: 1 })));
    const orders = apps.find((a) => a.application === 'orders-api');
    if (!orders) throw new Error('orders-api is not planned');
    await world.database.query(
      "UPDATE release_apps SET sync_requested_at = now() WHERE release_id = 1 AND application = 'orders-api'",
    );
    await services().argocd?.sync('orders-api', orders.revision);
    expect(syncsOf('orders-api')).toHaveLength(1);

    await sweep();
    await eventually(
      async () => {
        expect(await status()).toBe('shipped');
        // Its event row follows the status's commit (handlers/release/shipTick.ts, finishShipped).
        expect((await events()).some((e) => e.outcome === 'shipped')).toBe(true);
      },
      25_000,
      200,
    );

    // Each application synced once: orders-api's request was found, not made again.
    expect(syncsOf('orders-api')).toHaveLength(1);
    expect(syncsOf('catalog-api')).toHaveLength(1);
    // catalog-worker is auto-synced: the sync to the commit is refused, the one to its branch taken.
    expect(syncsOf('catalog-worker')).toHaveLength(2);
    // One deployment each, after the two entries Argo CD had before the release.
    for (const name of ['orders-api', 'catalog-api', 'catalog-worker'])
      expect(world.argocd.app(name).history).toHaveLength(3);
    const outcomes = (await events()).map((e) => e.outcome);
    expect(outcomes.filter((o) => o === 'watch_resumed')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'sync_found')).toHaveLength(1);
    // Every sync asked has its row from before it was asked.
    expect(
      (await events()).filter((e) => e.outcome === 'sync_requested').map((e) => e.detail.application),
    ).toEqual(expect.arrayContaining(['catalog-api', 'catalog-worker']));
    expect(outcomes.filter((o) => o === 'sync_started')).toHaveLength(3);
    expect(outcomes.filter((o) => o === 'shipped')).toHaveLength(1);
    // Told once, after the state that says so has committed.
    await eventually(() =>
      expect(
        world.notifier.posted.filter((p) => p.message.text.startsWith('Release #1 shipped')),
      ).toHaveLength(1),
    );
    const apps2 = await world.database.query(
      'SELECT application, status, previous_history_id::int FROM release_apps ORDER BY application',
    );
    expect(apps2.rows).toEqual([
      { application: 'catalog-api', status: 'healthy', previous_history_id: 1 },
      { application: 'catalog-worker', status: 'healthy', previous_history_id: 1 },
      { application: 'orders-api', status: 'healthy', previous_history_id: 1 },
    ]);
  });
});
