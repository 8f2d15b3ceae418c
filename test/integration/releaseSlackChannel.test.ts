import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { RELEASE_CHANNEL, type ReleaseDayByHand, releaseDayByHand } from '../support/releaseDay.ts';

// A release started before dpbot kept channel IDs has its channel stored as configured
// (`#releases`): its messages keep being updated after the upgrade — chat.update gets the ID —
// and the row is brought up to the ID. A service message deleted in Slack is posted anew, and
// the release remembers the new one.

const OWNER = 'grace@example.com';
let database: TestDatabase;
let world: ReleaseDayByHand;

beforeAll(async () => {
  world = await releaseDayByHand({
    scale: { repositories: 2, prs: 12, jiraKeys: 2 },
    // What is checked is where the messages go, not Slack's one post a second per channel (the
    // notifier's own pace, held to Slack's limits in releaseDayCounts and e2e/releaseSlack).
    postIntervalMs: 50,
  });
  database = world.database;
  const started = await world.run('release start --since 2026-11-02');
  expect(started.outcome).toBe('ok');
  await world.notifier.drained();
}, 120_000);
afterAll(async () => {
  await world?.close();
});

const releaseRow = async () =>
  (await database.query<{ channel: string; message_ts: string }>('SELECT channel, message_ts FROM releases'))
    .rows[0];
const threadOf = async (service: string) =>
  (
    await database.query<{ thread_ts: string }>('SELECT thread_ts FROM release_services WHERE service = $1', [
      service,
    ])
  ).rows[0]?.thread_ts;

describe('a release stored with its channel’s name', () => {
  it('is still updated, by ID, and the row then holds the ID', async () => {
    const before = await releaseRow();
    expect(before?.channel).toBe(RELEASE_CHANNEL);
    // As dpbot stored it before this change: the configured name.
    await database.query("UPDATE releases SET channel = '#releases'");
    world.slack.refused.length = 0;
    const [first] = world.services;
    const included = await world.run(`release include ${first?.name}`, OWNER);
    expect(included.outcome).toBe('ok');
    await world.notifier.drained();
    const message = world.slack.messagesIn(RELEASE_CHANNEL).find((m) => m.ts === before?.message_ts);
    expect(message?.text).toContain(`${first?.name}: `);
    expect(message?.text).toMatch(new RegExp(`${first?.name}: \\d+ PRs, included by Grace Hopper`));
    expect(world.slack.refused).toEqual([]);
    // The row is brought up to the ID once the update's answer is handled, which may come just after
    // the notifier drained.
    await eventually(async () =>
      expect(await releaseRow()).toEqual({ channel: RELEASE_CHANNEL, message_ts: before?.message_ts }),
    );
  });

  it('a service message deleted in Slack is posted anew, and the release keeps the new one', async () => {
    const service = world.services[1]?.name ?? '';
    const old = (await threadOf(service)) ?? '';
    world.slack.deleteMessage(RELEASE_CHANNEL, old);
    const included = await world.run(`release include ${service}`, OWNER);
    expect(included.outcome).toBe('ok');
    // The update that finds the message gone may still be on its way when the command returns.
    const now = await eventually(async () => {
      const current = await threadOf(service);
      expect(current).not.toBe(old);
      return current;
    });
    await world.notifier.drained();
    const reposted = world.slack.messagesIn(RELEASE_CHANNEL).find((m) => m.ts === now);
    expect(JSON.stringify(reposted?.blocks)).toContain('included by Grace Hopper');
    // The next change updates the new message in place: nothing is posted again.
    const posts = world.slack.callsByMethod().get('chat.postMessage') ?? 0;
    expect((await world.run(`release skip ${service} --reason "not this week"`, OWNER)).outcome).toBe('ok');
    await world.notifier.drained();
    expect(await threadOf(service)).toBe(now);
    expect(
      JSON.stringify(world.slack.messagesIn(RELEASE_CHANNEL).find((m) => m.ts === now)?.blocks),
    ).toContain('skipped by');
    // The skip's reply in the thread is the one new post.
    expect((world.slack.callsByMethod().get('chat.postMessage') ?? 0) - posts).toBe(1);
  });
});
