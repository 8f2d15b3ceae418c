import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import { announceShipped, shipTick } from '../../handlers/release/shipTick.ts';
import { trackerAtShip } from '../../handlers/release/tracker.ts';
import {
  RELEASE_CHANNEL,
  type ReleaseDayByHand,
  releaseDayByHand,
  shipConfirmed,
  startAndIncludeAll,
} from '../support/releaseDay.ts';

// What one release costs Slack and Argo CD, counted at the simulators (issue 17, item 3): 9
// services in 2 repositories (one a monorepo of 8), 3 waves. The watcher's looks are run here one
// by one (no workers), each Argo CD operation moving one stage per read, so the counts are exact.

const POST_INTERVAL_MS = 200;
let world: ReleaseDayByHand;
let id = 0;
/** Per look: the applications syncing when it began, and the Argo CD reads it made. */
const looks: { inFlight: number; reads: number }[] = [];

beforeAll(async () => {
  world = await releaseDayByHand({
    scale: { repositories: 2, prs: 30, jiraKeys: 5 },
    postIntervalMs: POST_INTERVAL_MS,
  });
  id = await startAndIncludeAll(world);
  await shipConfirmed(world);
  const services = releaseDeps(world.app.services);
  // The Jira job, as the worker would run it beside the watcher.
  await trackerAtShip(services, id);
  for (let look = 0; look < 100; look++) {
    const syncing = (await world.app.services.releases.snapshot(id))?.apps.filter(
      (a) => a.status === 'syncing',
    );
    const before = world.argocd.requests.filter((r) => r.method === 'GET').length;
    const again = await shipTick(services, id);
    looks.push({
      inFlight: syncing?.length ?? 0,
      reads: world.argocd.requests.filter((r) => r.method === 'GET').length - before,
    });
    if (!again) break;
  }
  // The announcement's job, as the worker would run it once the last look committed the state.
  await announceShipped(services, id);
  await world.notifier.drained();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('one release, counted at the simulators', () => {
  it('ships every application', async () => {
    expect((await world.app.services.releases.get(id))?.status).toBe('shipped');
    expect(world.services).toHaveLength(9);
  });

  it('asks Argo CD to sync each application once, having read it once, for the confirmation', () => {
    for (const s of world.services) {
      const path = `/api/v1/applications/${s.name}`;
      const requests = world.argocd.requests.filter((r) => r.path.startsWith(path));
      expect(requests.filter((r) => r.method === 'POST').map((r) => r.path)).toEqual([`${path}/sync`]);
      // Before its sync the application is read once, by the confirmation (does the release
      // redeploy a build that was rolled back?), its sync windows once (may it sync now?), and
      // neither again by the ship.
      const sync = requests.findIndex((r) => r.method === 'POST');
      expect(requests.slice(0, sync).map((r) => `${r.method} ${r.path}`)).toEqual([
        `GET ${path}/syncwindows`,
        `GET ${path}`,
      ]);
    }
  });

  it('reads, at each look, exactly the applications in flight — one wave, not the release', () => {
    expect(looks.length).toBeGreaterThan(3);
    for (const look of looks) expect(look.reads).toBe(look.inFlight);
    const most = Math.max(...looks.map((l) => l.inFlight));
    expect(most).toBe(3);
    expect(most).toBeLessThan(world.services.length);
  });

  it('never posts two messages in one channel within the interval', () => {
    const peaks = world.slack.peakPostsPerChannel(POST_INTERVAL_MS);
    expect(peaks.get(RELEASE_CHANNEL)).toBe(1);
    for (const peak of peaks.values()) expect(peak).toBe(1);
    // The release message, one per service, a reply per decision, the ship notice, the Jira
    // report and the shipped notice; then one note per stakeholder channel.
    expect(world.slack.messagesIn(RELEASE_CHANNEL)).toHaveLength(1 + 9 + 9 + 3);
    expect(world.slack.messages).toHaveLength(1 + 9 + 9 + 3 + 3);
  });

  it("updates a service's message only when it changes: its decision, then shipping", () => {
    const serviceMessages = world.slack
      .messagesIn(RELEASE_CHANNEL)
      .filter((m) => !m.threadTs && / pull request\(s\) in release /.test(m.history[0]?.text ?? ''));
    expect(serviceMessages).toHaveLength(9);
    for (const m of serviceMessages) {
      // The Jira note and the release being shipped change the release message, not these.
      expect(m.history.length - 1).toBeLessThanOrEqual(2);
      expect(m.history.length - 1).toBeGreaterThanOrEqual(1);
      expect(JSON.stringify(m.blocks)).not.toContain('"Include"');
    }
    const updates = world.slack.callsByMethod().get('chat.update') ?? 0;
    const releaseMessage = world.slack.messagesIn(RELEASE_CHANNEL).find((m) => !m.threadTs);
    expect(updates).toBe(
      serviceMessages.reduce((n, m) => n + m.history.length - 1, 0) +
        (releaseMessage?.history.length ?? 1) -
        1,
    );
  });
});
