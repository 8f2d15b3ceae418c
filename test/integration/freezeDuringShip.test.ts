import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import type { ReleaseDeps } from '../../handlers/release/index.ts';
import { shipTick } from '../../handlers/release/shipTick.ts';
import type { TestDatabase } from '../support/db.ts';
import {
  RELEASE_CHANNEL,
  type ReleaseDayByHand,
  releaseDayByHand,
  shipConfirmed,
  startAndIncludeAll,
} from '../support/releaseDay.ts';

// A deploy freeze declared while a release ships (an incident at 3 a.m.): the waves not started
// are held, each application's thread told once, what already runs left to finish; the release
// goes on by itself once the freeze is lifted. Before, the ship checked freezes only when it
// started and deployed every wave whatever was declared meanwhile. The watcher's looks are run
// here one by one, as the worker would, against the Argo CD simulator.

let database: TestDatabase;
let world: ReleaseDayByHand;
let services: ReleaseDeps;
let id = 0;

const apps = async () => (await world.app.services.releases.snapshot(id))?.apps ?? [];
const syncsOf = (application: string) =>
  world.argocd.requests.filter(
    (r) => r.method === 'POST' && r.path === `/api/v1/applications/${application}/sync`,
  );
const heldNotices = () =>
  world.slack.messagesIn(RELEASE_CHANNEL).filter((m) => m.text.includes('is held, not deployed'));
const heldEvents = async () =>
  (
    await database.query<{ detail: { application: string; freezes: string[] } }>(
      "SELECT detail FROM audit_log WHERE request_id = $1 AND outcome = 'wave_held' ORDER BY id",
      [`release-${id}`],
    )
  ).rows.map((r) => r.detail);

beforeAll(async () => {
  world = await releaseDayByHand({
    scale: { repositories: 2, prs: 12, jiraKeys: 1 },
    postIntervalMs: 20,
  });
  database = world.database;
  services = releaseDeps(world.app.services);
  id = await startAndIncludeAll(world);
  await shipConfirmed(world);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('a freeze declared while a release ships', () => {
  it('holds the waves not started, tells each thread once, and lets the wave under way finish', async () => {
    const first = world.services.filter((s) => s.wave === 0).map((s) => s.name);
    const later = world.services.filter((s) => s.wave > 0).map((s) => s.name);
    expect(first.length).toBeGreaterThan(0);
    expect(later.length).toBeGreaterThan(0);
    // The first look starts the first wave; then the incident's freeze of every deploy.
    expect(await shipTick(services, id)).toBe(true);
    for (const name of first) expect(syncsOf(name)).toHaveLength(1);
    await database.query(
      "INSERT INTO freezes (services, reason, until, created_by, request_id) VALUES ('{}', 'incident 42', now() + interval '2 hours', 'ada@example.com', 'test-freeze')",
    );

    let looks = 0;
    for (; looks < 60; looks++) {
      await shipTick(services, id);
      const now = await apps();
      if (now.filter((a) => first.includes(a.application)).every((a) => a.status === 'healthy')) break;
    }
    expect(looks).toBeLessThan(60);
    // A few more looks: still held, and nobody told twice.
    for (let i = 0; i < 3; i++) expect(await shipTick(services, id)).toBe(true);
    await world.notifier.drained();

    const now = await apps();
    for (const app of now.filter((a) => later.includes(a.application))) {
      expect(app.status).toBe('waiting');
      expect(syncsOf(app.application)).toHaveLength(0);
    }
    expect((await world.app.services.releases.get(id))?.status).toBe('shipping');
    // Only the next wave is asked to start, so only its applications are held (and told) so far.
    const wave1 = world.services.filter((s) => s.wave === 1).map((s) => s.name);
    for (const app of now.filter((a) => wave1.includes(a.application)))
      expect(app.message).toMatch(/^held: All deploys frozen \(freeze #\d+\).*incident 42/);
    expect(heldNotices()).toHaveLength(wave1.length);
    // The release message says so too, where everyone looks.
    const releaseMessage = world.slack
      .messagesIn(RELEASE_CHANNEL)
      .find((m) => !m.threadTs && m.text.startsWith(`Release #${id}`));
    expect(JSON.stringify(releaseMessage?.blocks)).toContain('held: All deploys frozen');

    // A second freeze while the first holds: a look that changes nothing else still says so, in
    // the release message and, once more, in each held application's thread.
    await database.query(
      "INSERT INTO freezes (services, reason, until, created_by, request_id) VALUES ('{}', 'incident 43', now() + interval '3 hours', 'ada@example.com', 'test-freeze-2')",
    );
    expect(await shipTick(services, id)).toBe(true);
    expect(await shipTick(services, id)).toBe(true);
    await world.notifier.drained();
    expect(JSON.stringify(releaseMessage?.blocks)).toContain('incident 43');
    expect(heldNotices()).toHaveLength(2 * wave1.length);
    expect((await heldEvents()).map((e) => e.application).sort()).toEqual([...wave1, ...wave1].sort());
  });

  it('goes on by itself once the freeze is lifted, and ships', async () => {
    await database.query("UPDATE freezes SET lifted_at = now(), lifted_by = 'ada@example.com'");
    for (let look = 0; look < 200 && (await shipTick(services, id)); look++);
    expect((await world.app.services.releases.get(id))?.status).toBe('shipped');
    for (const s of world.services) expect(syncsOf(s.name)).toHaveLength(1);
    expect(heldNotices().length).toBeGreaterThan(0);
  });
});
