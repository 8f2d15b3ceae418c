import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackNotifier } from '../../bot/slack/slackNotifier.ts';
import type { connect } from '../../db/connect.ts';
import type { Message } from '../../pipeline/message.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { replicaNotifier } from '../support/replicaNotifier.ts';
import { slackWithPeople } from '../support/slack.ts';

// What a message shows, shared by replicas (issue 29, item 7). Each "replica" is a notifier with
// its own pool and Web API client, as separate processes have; only PostgreSQL is shared. The
// simulator keeps every version of every message, so an update that changed nothing shows as two
// equal versions in a row.

const CHANNEL = 'C0SHOWN001';
const sim = slackWithPeople().addChannel({ id: CHANNEL, name: 'shown', botMember: true });
let database: TestDatabase;
const pools: ReturnType<typeof connect>['pool'][] = [];

beforeAll(async () => {
  await sim.start();
  sim.enforceRateLimits = false;
  database = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await sim.stop();
  await database.drop();
});

function replica(): SlackNotifier {
  return replicaNotifier({
    apiUrl: sim.apiUrl,
    databaseUrl: database.url,
    pools,
    postIntervalMs: 0,
    limits: { posts: { points: 100, seconds: 1 }, updates: { points: 1000, seconds: 60 } },
    shareShown: true,
  });
}

const say = (text: string): Message => ({ text, visibility: 'in_channel' });
const versions = (ts: string) =>
  sim
    .messagesIn(CHANNEL)
    .find((m) => m.ts === ts)
    ?.history.map((v) => v.text);
const shownNow = (ts: string) => sim.messagesIn(CHANNEL).find((m) => m.ts === ts)?.text;

describe('replicas share what a message shows', () => {
  it('a replica does not send content another replica already showed', async () => {
    const [a, b] = [replica(), replica()];
    const ref = await a.post(CHANNEL, say('v0'));
    await a.update(ref, say('v1'));
    await b.update(ref, say('v1'));
    await b.update(ref, say('v2'));
    await a.update(ref, say('v2'));
    expect(versions(ref.ts)).toEqual(['v0', 'v1', 'v2']);
  });

  it('a replica sends content it sent before once another replica changed the message since', async () => {
    const [a, b] = [replica(), replica()];
    const ref = await a.post(CHANNEL, say('included'));
    await a.update(ref, say('included, reviewed'));
    await b.update(ref, say('excluded'));
    await a.update(ref, say('included, reviewed'));
    expect(shownNow(ref.ts)).toBe('included, reviewed');
    expect(versions(ref.ts)).toEqual(['included', 'included, reviewed', 'excluded', 'included, reviewed']);
  });

  it('replicas updating one message at once take turns, and none sends what it already shows', async () => {
    const notifiers = [replica(), replica(), replica()];
    const ref = await notifiers[0]?.post(CHANNEL, say('start'));
    if (!ref) throw new Error('no message');
    for (let round = 0; round < 5; round++) {
      await Promise.all(notifiers.map((n, i) => n.update(ref, say(`round ${round} from ${i}`))));
      // Whatever order the replicas took, each later update is judged against what Slack shows.
      const shown = shownNow(ref.ts) ?? '';
      await Promise.all(notifiers.map((n) => n.update(ref, say(shown))));
      await notifiers[(round + 1) % 3]?.update(ref, say('start'));
      expect(shownNow(ref.ts)).toBe('start');
    }
    const history = versions(ref.ts) ?? [];
    const repeats = history.filter((v, i) => i > 0 && v === history[i - 1]);
    expect(repeats).toEqual([]);
  });

  it('an update Slack refused leaves nothing to skip on: the same content is sent again', async () => {
    const [a, b] = [replica(), replica()];
    const ref = await a.post(CHANNEL, say('before'));
    const { rows } = await database.query<{ content_hash: string | null }>(
      'SELECT content_hash FROM slack_messages_shown WHERE channel = $1 AND ts = $2',
      [CHANNEL, ref.ts],
    );
    expect(rows).toEqual([]);
    sim.inject({
      path: /chat\.update$/,
      status: 200,
      body: { ok: false, error: 'internal_error' },
      times: 1,
    });
    await a.update(ref, say('after'));
    expect(shownNow(ref.ts)).toBe('before');
    await b.update(ref, say('after'));
    expect(shownNow(ref.ts)).toBe('after');
  });
});
