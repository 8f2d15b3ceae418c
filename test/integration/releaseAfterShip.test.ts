import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { eventually } from '../support/eventually.ts';
import { buttons, press, type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';

// Rollbacks after a release finished, and rollbacks outside one: what the release records say
// afterwards, and where the next release starts.

let world: ReleaseWorld;
let ordersShipped = '';
let platformShipped = '';

beforeAll(async () => {
  world = await startReleaseWorld();
});
afterAll(async () => {
  await world.close();
});

async function confirm(text: string, email: string) {
  const asked = await run(world, text, email);
  expect(asked.outcome).toBe('awaiting_confirmation');
  const id = buttons(asked.responder.sent[0]?.message.blocks as never)[0]?.value ?? '';
  const done = await press(world, CONFIRM_ACTION, id, email);
  return { asked, done };
}

async function appStatus(releaseId: number, application: string): Promise<string | undefined> {
  const r = await world.database.query<{ status: string }>(
    'SELECT status FROM release_apps WHERE release_id = $1 AND application = $2',
    [releaseId, application],
  );
  return r.rows[0]?.status;
}

async function prsOf(releaseId: number, service: string): Promise<number[]> {
  const rows = await world.database.query<{ number: number }>(
    'SELECT number FROM release_prs WHERE release_id = $1 AND $2 = ANY(services) ORDER BY number',
    [releaseId, service],
  );
  return rows.rows.map((r) => r.number);
}

describe('after a release has shipped', () => {
  it('ships release #1', async () => {
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include orders-api', 'grace@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release include catalog', 'linus@example.com')).outcome).toBe('ok');
    expect((await run(world, 'release skip ingest', 'ada@example.com')).outcome).toBe('ok');
    expect((await confirm('release ship', 'ada@example.com')).done.outcome).toBe('ok');
    await eventually(
      async () => {
        const r = await world.database.query('SELECT status, active FROM releases WHERE id = 1');
        expect(r.rows[0]).toEqual({ status: 'shipped', active: null });
      },
      25_000,
      200,
    );
    ordersShipped = world.github.repository('acme/orders').commits.at(-1)?.oid ?? '';
    platformShipped = world.github.repository('acme/platform').commits.at(-1)?.oid ?? '';
    expect(world.argocd.app('orders-api').syncedRevision).toBe(ordersShipped);
  });

  it('"release rollback <app>" finds the release that just shipped and says which one it rolls back', async () => {
    const { asked, done } = await confirm('release rollback orders-api', 'grace@example.com');
    expect(asked.texts[0]).toMatch(
      /^Confirm: Roll back orders-api \(orders-api\) of release #1 from \w{7} to \w{7}$/,
    );
    expect(done.outcome).toBe('ok');
    expect(done.texts[0]).toMatch(/^Grace Hopper rolled back orders-api \(orders-api\) of release #1 from/);
    await eventually(async () => expect(await appStatus(1, 'orders-api')).toBe('rolled_back'), 15_000, 200);

    // Once is enough: a second try is told it is done, and why.
    const again = await run(world, 'release rollback orders-api', 'grace@example.com');
    expect(again.outcome).toBe('conflict');
    expect(again.texts[0]).toContain('orders-api was already rolled back by grace@example.com at');
    // --release still names one; an application no release deployed is told what to use instead.
    const none = await run(world, 'release rollback ingest', 'ada@example.com');
    expect(none.outcome).toBe('not_found');
    expect(none.texts[0]).toContain('no release has deployed ingest yet; "rollback &lt;service&gt;"');
  });

  it('a rollback outside a release shows on the release that deployed what it undid', async () => {
    const { asked, done } = await confirm('rollback catalog --app catalog-api', 'ada@example.com');
    expect(JSON.stringify(asked.responder.sent[0]?.message.blocks)).toContain(
      'catalog-api runs ' +
        world.argocd.app('catalog-api').syncedRevision.slice(0, 7) +
        ' (shipped by release #1 at',
    );
    expect(done.outcome).toBe('ok');
    expect(done.texts[0]).toContain('outside a release (release #1 deployed it)');
    await eventually(async () => expect(await appStatus(1, 'catalog-api')).toBe('rolled_back'), 15_000, 200);
    const status = await run(world, 'release status', 'linus@example.com');
    expect(status.texts[0]).toMatch(/catalog-api: rolled back — back on \w{7} and Healthy/);
    expect(status.texts[0]).toMatch(/orders-api: rolled back/);
    expect(status.texts[0]).toMatch(/catalog-worker: healthy/);
    const recorded = await world.database.query(
      "SELECT release_id, status FROM rollbacks WHERE key LIKE 'app:catalog-api:%'",
    );
    expect(recorded.rows).toEqual([{ release_id: 1, status: 'done' }]);
  });

  it('the next release starts each rolled-back service from what Argo CD says it runs, so its changes ship again', async () => {
    const ordersRuns = world.argocd.app('orders-api').history.at(-1)?.revision ?? '';
    const catalogRuns = world.argocd.app('catalog-api').history.at(-1)?.revision ?? '';
    expect(ordersRuns).not.toBe(ordersShipped);
    expect(catalogRuns).not.toBe(platformShipped);
    const started = await run(world, `release start --since ${SINCE}`, 'ada@example.com');
    expect(started.outcome).toBe('ok');
    const text = started.texts[0] ?? '';
    expect(text).toContain(
      `orders-api: 6 pull request(s) since ${ordersRuns.slice(0, 7)}, which orders-api runs (deployed by admin in Argo CD (history 1) at`,
    );
    expect(text).toContain(`release #1 shipped ${ordersShipped.slice(0, 7)})`);
    expect(text).toContain(
      `catalog: 6 pull request(s) since ${catalogRuns.slice(0, 7)}, which catalog-api runs (deployed by admin in Argo CD (history 1) at`,
    );
    // The pull requests of release #1 that were rolled back are in release #2 again.
    expect(await prsOf(2, 'orders-api')).toEqual(await prsOf(1, 'orders-api'));
    expect(await prsOf(2, 'catalog')).toEqual(await prsOf(1, 'catalog'));
    expect(await prsOf(2, 'orders-api')).toHaveLength(6);
    const auto = await world.database.query(
      "SELECT service FROM confirmations WHERE release_id = 2 AND decided_by = 'dpbot'",
    );
    expect(auto.rows).toEqual([]);
  });
});
