import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

let world: ReleaseWorld;

beforeAll(async () => {
  world = await startReleaseWorld();
});
afterAll(async () => {
  await world.close();
});

const threadPosts = (service: string) => {
  const thread = world.notifier.posted.find((p) => !p.threadTs && p.message.text.startsWith(`${service}:`));
  return world.notifier.posted.filter((p) => thread !== undefined && p.threadTs === thread.ts);
};

describe('shipping an auto-synced application whose branch moved past the release commit', () => {
  it('does not sync it, says why in its thread, and ships the others as usual', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip orders-api', 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', 'ada@example.com')).outcome).toBe('ok');
    const platform = world.github.repository('acme/platform');
    const releaseCommit = platform.commits.at(-1)?.oid ?? '';
    const workerHistory = world.argocd.app('catalog-worker').history.map((h) => h.revision);
    // Merged after the release started: catalog-worker's auto-sync follows main, now past the release.
    platform.commits.push({
      oid: 'f'.repeat(40),
      date: new Date(),
      message: 'Merge pull request #999',
      pr: 999,
    });

    const asked = await run(world, 'release ship', 'ada@example.com');
    expect(asked.outcome).toBe('awaiting_confirmation');
    const id = buttons(asked.responder.sent[0]?.message.blocks as never)[0]?.value ?? '';
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
      'SELECT application, status, message FROM release_apps ORDER BY application',
    );
    expect(apps.rows).toEqual([
      { application: 'catalog-api', status: 'healthy', message: 'Healthy' },
      {
        application: 'catalog-worker',
        status: 'failed',
        message: expect.stringContaining(
          `follows main, so Argo CD syncs it only to main, which GitHub says is at fffffff, not the release's ${releaseCommit.slice(0, 7)}`,
        ),
      },
    ]);
    // Every sync asked named the release commit; Argo CD refuses that for the auto-synced
    // catalog-worker, and dpbot did not sync the branch it follows: it ran nothing new.
    const syncs = world.argocd.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sync'));
    expect(syncs.map((r) => r.path).sort()).toEqual([
      '/api/v1/applications/catalog-api/sync',
      '/api/v1/applications/catalog-worker/sync',
    ]);
    for (const sync of syncs) expect(sync.body).toMatchObject({ revision: releaseCommit });
    expect(world.argocd.app('catalog-worker').history.map((h) => h.revision)).toEqual(workerHistory);
    expect(
      threadPosts('catalog').some((p) =>
        p.message.text.startsWith('catalog-worker was not synced: auto-sync is on for catalog-worker'),
      ),
    ).toBe(true);
    const refused = await world.database.query(
      "SELECT error FROM audit_log WHERE request_id = 'release-1' AND outcome = 'sync_refused'",
    );
    expect(refused.rows).toEqual([{ error: expect.stringContaining('Turn auto-sync off for it') }]);
  });
});
