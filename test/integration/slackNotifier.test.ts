import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { createSlackClients } from '../../bot/slack/slackApp.ts';
import { SlackNotifier } from '../../bot/slack/slackNotifier.ts';
import { errorMessage } from '../../core/errors.ts';
import { createMetrics } from '../../core/metrics.ts';
import { MANIFEST_SCOPES, SANDBOX_BOT_TOKEN } from '../../sandbox/slack/slackSimulator.ts';
import { slackWithPeople } from '../support/slack.ts';

// dpbot's notifier against a Slack simulator as strict as Slack: channels configured by name are
// looked up (conversations.list) and every method that takes IDs gets one; what Slack refuses is
// handled so nothing is lost (sandbox/slack/RULES.md lists the rules).

const sim = slackWithPeople()
  .addChannel({ id: 'C0RELEASES', name: 'releases', botMember: true })
  .addChannel({ id: 'C0TWO00001', name: 'two', botMember: true });
const log = pino({ level: 'silent' });
let notifier: SlackNotifier;

const calls = (method: string) => sim.requests.filter((r) => r.path === `/api/${method}`);
const text = (t: string) => ({ text: t, visibility: 'in_channel' as const });
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => errorMessage(error),
  );

beforeAll(async () => {
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  // Each test its own notifier (its own cache of names) and a clean record of refusals.
  const config = parseConfig({ slack: { apiUrl: sim.apiUrl } }, 'test');
  const { client } = createSlackClients(
    { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: undefined },
    config,
    log,
    createMetrics(),
  );
  // Posts go out without the notifier's pace of one a second per channel, faster than Slack
  // allows: the rate limits are on only where a test is about them.
  notifier = new SlackNotifier(client, { updateIntervalMs: 0, log, postIntervalMs: 0 });
  sim.enforceRateLimits = false;
  sim.refused.length = 0;
  sim.scopes.clear();
  for (const s of MANIFEST_SCOPES) sim.scopes.add(s);
});

describe('channels by name where configuration names them, by ID where Slack wants one', () => {
  it('posts to #releases, keeps the ID Slack answered with, and updates by ID', async () => {
    const ref = await notifier.post('#releases', text('hello'));
    expect(ref.channel).toBe('C0RELEASES');
    expect(await notifier.update(ref, text('hello again'))).toEqual(ref);
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === ref.ts)?.text).toBe('hello again');
    expect(sim.refused).toEqual([]);
  });

  it('updates a message whose reference was stored with the name (before dpbot kept IDs)', async () => {
    const ref = await notifier.post('C0RELEASES', text('stored the old way'));
    const before = calls('conversations.list').length;
    const now = await notifier.update({ channel: '#releases', ts: ref.ts }, text('still updated'));
    expect(now).toEqual({ channel: 'C0RELEASES', ts: ref.ts });
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === ref.ts)?.text).toBe('still updated');
    // chat.update was given the ID: Slack would answer channel_not_found to the name.
    expect(calls('chat.update').at(-1)?.body).toMatchObject({ channel: 'C0RELEASES' });
    expect(calls('conversations.list').length).toBe(before + 1);
    expect(sim.refused).toEqual([]);
  });

  it('looks names up once, through every page, for every caller at once', async () => {
    sim.pageSize = 2;
    try {
      const before = calls('conversations.list').length;
      const refs = await Promise.all([
        notifier.post('#releases', text('a')),
        notifier.post('#two', text('b')),
        notifier.post('#releases', text('c')),
      ]);
      expect(refs.map((r) => r.channel)).toEqual(['C0RELEASES', 'C0TWO00001', 'C0RELEASES']);
      const listed = calls('conversations.list').slice(before);
      // Public and private channels, a page after another: the four dpbot can see (not the
      // private one it is not in), two a page; #two is on the second.
      expect(listed.length).toBe(2);
      expect(listed[1]?.body).toMatchObject({ cursor: expect.any(String) });
      expect(listed[0]?.body).toMatchObject({ types: 'public_channel,private_channel' });
      await notifier.post('#two', text('d'));
      expect(calls('conversations.list').length).toBe(before + 2);
    } finally {
      sim.pageSize = 200;
    }
  });

  it('a name no channel has: the post says which and what to do, and the name is not asked about again at once', async () => {
    const message = await failure(notifier.post('#no-such-channel', text('lost?')));
    expect(message).toBe(
      'Slack: cannot post in #no-such-channel (channel_not_found): there is no channel #no-such-channel that dpbot can see — create it, correct the setting that names it, or, if it is private, invite dpbot (in #no-such-channel: /invite @dpbot)',
    );
    const listed = calls('conversations.list').length;
    await failure(notifier.post('#no-such-channel', text('lost?')));
    expect(calls('conversations.list').length).toBe(listed);
    // An update of a message in it cannot even be sent: Slack takes no names there.
    expect(await failure(notifier.update({ channel: '#no-such-channel', ts: '1.2' }, text('x')))).toContain(
      'cannot update a message in #no-such-channel: there is no channel #no-such-channel that dpbot can see',
    );
  });

  it('a private channel dpbot was not invited to is, to it, one that does not exist: the /invite', async () => {
    expect(await failure(notifier.post('#secret', text('hi')))).toContain('(in #secret: /invite @dpbot)');
    expect(await failure(notifier.post('G0SECRET01', text('hi')))).toContain('channel_not_found');
    expect(sim.messagesIn('G0SECRET01')).toEqual([]);
  });

  it('a channel renamed (channel_rename) or deleted and made again: the name is looked up again', async () => {
    const first = await notifier.post('#two', text('before'));
    expect(first.channel).toBe('C0TWO00001');
    const two = sim.channels.get('C0TWO00001');
    try {
      // Renamed, and a new #two made: the rename event makes dpbot forget the old answer.
      if (two) two.name = 'two-archive';
      sim.addChannel({ id: 'C0NEWTWO01', name: 'two', botMember: true });
      notifier.directory.forget('C0TWO00001');
      expect((await notifier.post('#two', text('after the rename'))).channel).toBe('C0NEWTWO01');
      // Deleted and made again, with no event: Slack's channel_not_found makes dpbot look again.
      sim.channels.delete('C0NEWTWO01');
      sim.addChannel({ id: 'C0THIRDTWO', name: 'two', botMember: true });
      expect((await notifier.post('#two', text('after the delete'))).channel).toBe('C0THIRDTWO');
      expect(sim.refused).toEqual([
        expect.objectContaining({ method: 'chat.postMessage', error: 'channel_not_found' }),
      ]);
    } finally {
      sim.channels.delete('C0THIRDTWO');
      if (two) two.name = 'two';
    }
  });

  it('a public channel dpbot is not in, without chat:write.public: joins it by its ID, then posts', async () => {
    sim.scopes.delete('chat:write.public');
    const elsewhere = sim.channels.get('C0ELSEWHERE');
    try {
      const ref = await notifier.post('#elsewhere', text('joined'));
      expect(ref.channel).toBe('C0ELSEWHERE');
      expect(calls('conversations.join').at(-1)?.body).toMatchObject({ channel: 'C0ELSEWHERE' });
      expect(sim.refused.map((r) => r.error)).toEqual(['not_in_channel']);
    } finally {
      if (elsewhere) elsewhere.botMember = false;
    }
  });
});

describe('a message Slack no longer has, or that is not dpbot’s', () => {
  it('deleted in Slack (message_not_found): posted anew, and later updates go to the new one', async () => {
    const ref = await notifier.post('#releases', text('v1'));
    sim.deleteMessage('C0RELEASES', ref.ts);
    const moved = await notifier.update(ref, text('v2'));
    expect(moved.channel).toBe('C0RELEASES');
    expect(moved.ts).not.toBe(ref.ts);
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === moved.ts)?.text).toBe('v2');
    // The old reference keeps working: it leads to the new message, nothing is posted a third time.
    const posts = calls('chat.postMessage').length;
    expect(await notifier.update(ref, text('v3'))).toEqual(moved);
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === moved.ts)?.text).toBe('v3');
    expect(calls('chat.postMessage').length).toBe(posts);
    expect(sim.refused.map((r) => r.error)).toEqual(['message_not_found']);
  });

  it("another app's message (cant_update_message): dpbot's content is posted as its own message", async () => {
    const ts = sim.addForeignMessage('C0RELEASES', 'not dpbot’s');
    const moved = await notifier.update({ channel: 'C0RELEASES', ts }, text('dpbot’s'));
    expect(moved.ts).not.toBe(ts);
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === ts)?.text).toBe('not dpbot’s');
    expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === moved.ts)?.text).toBe('dpbot’s');
    expect(sim.refused.map((r) => r.error)).toEqual(['cant_update_message']);
  });
});

describe('rate limits', () => {
  it('direct messages to one person open the conversation once (conversations.open is Tier 3)', async () => {
    const before = calls('conversations.open').length;
    for (const t of ['first', 'second', 'third'])
      await notifier.direct({ slackUserId: 'U0LINUS001', email: 'linus@example.com' }, text(t));
    expect(calls('conversations.open').length - before).toBe(1);
    expect(sim.messagesIn('DU0LINUS001').map((m) => m.text)).toEqual(['first', 'second', 'third']);
  });

  it('an update over the limit is answered 429; it waits for Retry-After and lands', async () => {
    const one = await notifier.post('#releases', text('one'));
    const two = await notifier.post('#two', text('two'));
    sim.enforceRateLimits = true;
    sim.setRateLimit('chat.update', { perMinute: 60, burst: 1 });
    try {
      await Promise.all([
        notifier.update(one, text('one, updated')),
        notifier.update(two, text('two, updated')),
      ]);
      expect(sim.messagesIn('C0RELEASES').find((m) => m.ts === one.ts)?.text).toBe('one, updated');
      expect(sim.messagesIn('C0TWO00001').find((m) => m.ts === two.ts)?.text).toBe('two, updated');
      expect(sim.refused).toEqual([expect.objectContaining({ method: 'chat.update', status: 429 })]);
    } finally {
      sim.setRateLimit('chat.update', { perMinute: 50, burst: 50 });
    }
  });

  it('posts to one channel are paced a second apart, within chat.postMessage’s limit', async () => {
    const paced = new SlackNotifier(
      createSlackClients(
        { botToken: SANDBOX_BOT_TOKEN, signingSecret: undefined, appToken: undefined },
        parseConfig({ slack: { apiUrl: sim.apiUrl } }, 'test'),
        log,
        createMetrics(),
      ).client,
      { updateIntervalMs: 0, log },
    );
    sim.enforceRateLimits = true;
    // A fresh channel: its allowance untouched by the tests before.
    sim.addChannel({ id: 'C0PACED001', name: 'paced', botMember: true });
    await Promise.all(Array.from({ length: 8 }, (_, i) => paced.post('#paced', text(`burst ${i}`))));
    const burst = sim.messagesIn('C0PACED001');
    expect(burst.map((m) => m.text)).toEqual(Array.from({ length: 8 }, (_, i) => `burst ${i}`));
    // One a second: never two within a second, so Slack never answered 429.
    for (const [i, m] of burst.entries())
      if (i > 0) expect(m.postedAt - (burst[i - 1]?.postedAt ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(sim.refused).toEqual([]);
  });
});
