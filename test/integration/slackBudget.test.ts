import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetLimits } from '../../bot/slack/slackBudget.ts';
import type { SlackNotifier } from '../../bot/slack/slackNotifier.ts';
import type { connect } from '../../db/connect.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { replicaNotifier } from '../support/replicaNotifier.ts';
import { slackWithPeople } from '../support/slack.ts';

// Slack's budgets belong to the app, not to a process: replicas that each kept their own pace
// sent together what Slack allows one app. Here each "replica" is a notifier with its own
// database pool and its own Web API client, as separate processes have; only PostgreSQL is shared.

const CHANNEL = 'C0BUDGET01';
const sim = slackWithPeople().addChannel({ id: CHANNEL, name: 'budget', botMember: true });
let database: TestDatabase;
const pools: ReturnType<typeof connect>['pool'][] = [];

beforeAll(async () => {
  await sim.start();
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await sim.stop();
  await database.drop();
});
beforeEach(() => {
  sim.refused.length = 0;
  sim.enforceRateLimits = true;
});

function replica(limits?: BudgetLimits): SlackNotifier {
  // Each process paces its own posts a second apart, as dpbot does.
  return replicaNotifier({
    apiUrl: sim.apiUrl,
    databaseUrl: database.url,
    pools,
    postIntervalMs: 1000,
    ...(limits ? { limits } : {}),
  });
}

/** Two posts from each of three replicas to one channel, at once. */
async function burst(notifiers: SlackNotifier[], label: string): Promise<void> {
  await Promise.all(
    notifiers.flatMap((n, r) =>
      [1, 2].map((i) => n.post(CHANNEL, { text: `${label} ${r}.${i}`, visibility: 'in_channel' })),
    ),
  );
}

describe('Slack budgets shared by replicas through PostgreSQL', () => {
  // One post a second per channel with a burst of two: what a replica alone keeps to.
  const strict = { perMinute: 60, burst: 2 };

  it('without a shared budget, three replicas each at a post a second go past the channel’s limit', async () => {
    sim.setRateLimit('chat.postMessage', strict);
    await burst([replica(), replica(), replica()], 'alone');
    // The Web API client waits out each 429 and sends again: nothing is lost, but Slack said no.
    expect(sim.refused.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(sim.messagesIn(CHANNEL).filter((m) => m.text.startsWith('alone'))).toHaveLength(6);
  }, 120_000);

  it('with one budget in PostgreSQL, the same burst stays within it and every post lands', async () => {
    sim.setRateLimit('chat.postMessage', strict);
    const limits: BudgetLimits = { posts: { points: 1, seconds: 1 }, updates: { points: 45, seconds: 60 } };
    await burst([replica(limits), replica(limits), replica(limits)], 'shared');
    expect(sim.refused).toEqual([]);
    expect(sim.messagesIn(CHANNEL).filter((m) => m.text.startsWith('shared'))).toHaveLength(6);
    // The turns were taken from one row per channel.
    const rows = await database.query<{ key: string }>('SELECT key FROM slack_budget ORDER BY key');
    expect(rows.rows.map((r) => r.key)).toEqual([`post:${CHANNEL}`]);
  }, 120_000);

  it('chat.update across replicas keeps to one workspace allowance', async () => {
    // Four updates per two seconds for the app, whichever replica sends them.
    sim.setRateLimit('chat.update', { perMinute: 120, burst: 4 });
    const limits: BudgetLimits = { posts: { points: 10, seconds: 1 }, updates: { points: 4, seconds: 2 } };
    const notifiers = [replica(limits), replica(limits), replica(limits)];
    const refs = await Promise.all(
      notifiers.map((n, r) => n.post(CHANNEL, { text: `to update ${r}`, visibility: 'in_channel' })),
    );
    sim.refused.length = 0;
    await Promise.all(
      refs.flatMap((ref, r) =>
        [1, 2, 3, 4].map((i) =>
          notifiers[r]?.update(ref, { text: `updated ${r}.${i}`, visibility: 'in_channel' }),
        ),
      ),
    );
    expect(sim.refused).toEqual([]);
    for (const [r, ref] of refs.entries())
      expect(sim.messagesIn(CHANNEL).find((m) => m.ts === ref.ts)?.text).toBe(`updated ${r}.4`);
  }, 120_000);
});
