import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseDeps } from '../../app/wiring/release.ts';
import type { ReleaseDeps } from '../../handlers/release/index.ts';
import { QUEUES } from '../../handlers/release/queues.ts';
import { announceShipped, shipTick } from '../../handlers/release/shipTick.ts';
import { trackerAtShip } from '../../handlers/release/tracker.ts';
import { failInserts, type TestDatabase } from '../support/db.ts';
import {
  RELEASE_CHANNEL,
  type ReleaseDayByHand,
  releaseDayByHand,
  STAKEHOLDER_CHANNELS,
  shipConfirmed,
  startAndIncludeAll,
} from '../support/releaseDay.ts';

// The last step of a ship, interrupted: the shipped state and the job that announces it commit
// together, and an announcement that failed part-way is finished by its retry, its events written
// once. Before, the watcher's look announced right after committing the state: a process killed
// or a database blip between the two left a shipped release nobody was told about, for the next
// look found it no longer shipping. The looks and the job are run here one by one, as the workers
// would, with a trigger standing in for the interruption.

let database: TestDatabase;
let world: ReleaseDayByHand;
let services: ReleaseDeps;
let id = 0;

const events = async (outcome: string) =>
  Number(
    (
      await database.query<{ n: string }>(
        "SELECT count(*) AS n FROM audit_log WHERE request_id = $1 AND kind = 'event' AND outcome = $2",
        [`release-${id}`, outcome],
      )
    ).rows[0]?.n,
  );
const shippedNotices = () =>
  world.slack.messagesIn(RELEASE_CHANNEL).filter((m) => m.text.includes(`Release #${id} shipped`));
const notesIn = (channel: string) =>
  world.slack.messagesIn(channel).filter((m) => m.text.startsWith('What changed on '));
const status = async () => (await world.app.services.releases.get(id))?.status;

beforeAll(async () => {
  world = await releaseDayByHand({
    scale: { repositories: 1, prs: 3, jiraKeys: 1 },
    postIntervalMs: 20,
    releaseConfig: { waves: [['single-0']] },
  });
  database = world.database;
  services = releaseDeps(world.app.services);
  id = await startAndIncludeAll(world);
  await shipConfirmed(world);
  await trackerAtShip(services, id);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe('a shipped release is announced once, whatever interrupts it', () => {
  it('keeps the release shipping when the announcement cannot be queued, so a later look finishes it', async () => {
    const restore = await failInserts(
      database,
      'pg_temp_fail_shipped',
      'pgboss.job',
      "NEW.name = 'release.shipped'",
    );
    let failed: unknown;
    try {
      for (let look = 0; look < 100 && (await shipTick(services, id)); look++);
    } catch (error) {
      failed = error;
    } finally {
      await restore();
    }
    // drizzle names the statement; the database's own error is its cause.
    expect(String((failed as Error | undefined)?.cause)).toContain('connection lost (test)');
    expect(await status()).toBe('shipping');
    expect(await events('shipped')).toBe(0);

    for (let look = 0; look < 100 && (await shipTick(services, id)); look++);
    expect(await status()).toBe('shipped');
    expect(await world.app.services.jobs.live(QUEUES.shipped, { releaseId: id })).toBe(1);
    // Nothing is announced by the look itself: the job does it.
    expect(await events('shipped')).toBe(0);
    expect(shippedNotices()).toHaveLength(0);
  });

  it('finishes an announcement interrupted part-way on its retry, writing each event once', async () => {
    const restore = await failInserts(
      database,
      'pg_temp_fail_notes',
      'audit_log',
      "NEW.outcome = 'notes_posted'",
    );
    try {
      await expect(announceShipped(services, id)).rejects.toThrow();
    } finally {
      await restore();
    }
    await world.notifier.drained();
    expect(await events('shipped')).toBe(1);
    expect((await world.app.services.releases.get(id))?.notesPostedAt).toBeNull();
    expect(shippedNotices()).toHaveLength(0);
    const channels = STAKEHOLDER_CHANNELS.filter((c) => notesIn(c).length > 0);
    expect(channels.length).toBeGreaterThan(0);

    // pg-boss's retry.
    await announceShipped(services, id);
    await world.notifier.drained();
    expect(await events('shipped')).toBe(1);
    expect(await events('notes_posted')).toBe(1);
    expect((await world.app.services.releases.get(id))?.notesPostedAt).toBeInstanceOf(Date);
    expect(shippedNotices()).toHaveLength(1);
    // At least once: a channel posted before the interruption is posted again by the retry.
    for (const channel of channels) expect(notesIn(channel)).toHaveLength(2);

    // A job run again after it succeeded (a second delivery) announces nothing more.
    const messages = world.slack.messages.length;
    await announceShipped(services, id);
    await world.notifier.drained();
    expect(world.slack.messages.length).toBe(messages);
    expect(await events('shipped')).toBe(1);
    expect(await events('notes_posted')).toBe(1);
  });
});
