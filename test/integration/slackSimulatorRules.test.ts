import { ErrorCode, type WebAPIRateLimitedError, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { slackError } from '../../integrations/slack/slackErrors.ts';
import { MANIFEST_SCOPES, SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';

// The Slack simulator refuses what Slack refuses (sandbox/slack/RULES.md lists each rule and its
// source), as the real @slack/web-api client meets it.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const sim = new SlackSimulator()
  .addUser({ id: ADA, name: 'ada', email: 'ada@example.com' })
  .addUser({ id: GRACE, name: 'grace', email: 'grace@example.com' })
  .addChannel({ id: 'C0OPS00001', name: 'ops', botMember: true })
  .addChannel({ id: 'C0OUTSIDE1', name: 'outside', botMember: false })
  .addChannel({ id: 'G0INSIDE01', name: 'inside', botMember: true, private: true, members: [ADA] })
  .addChannel({ id: 'G0SECRET01', name: 'secret', botMember: false, private: true });
let client: WebClient;

/** What Slack answered: its error code, `ok`, or `429 after <s>` for a rate-limited call. */
async function answer(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    const e = error as WebAPIRateLimitedError;
    if (e.code === ErrorCode.RateLimitedError) return `429 after ${e.retryAfter}`;
    return slackError(error);
  }
}

async function respond(id: string, text: string): Promise<number> {
  const r = await fetch(sim.responseUrl(id), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text }),
  });
  return r.status;
}

beforeAll(async () => {
  await sim.start();
  // Refusals as they come, not retried: a 429 is reported, not waited out.
  client = new WebClient(SANDBOX_BOT_TOKEN, {
    slackApiUrl: sim.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 0 },
  });
});
afterAll(async () => {
  await sim.stop();
});
beforeEach(() => {
  sim.refused.length = 0;
  sim.scopes.clear();
  for (const s of MANIFEST_SCOPES) sim.scopes.add(s);
});

describe('channel names only where Slack takes them', () => {
  it('chat.postMessage and chat.postEphemeral take a name (#public, or a private one bare) or an ID', async () => {
    expect(await answer(client.chat.postMessage({ channel: '#ops', text: 'a' }))).toBe('ok');
    expect(await answer(client.chat.postMessage({ channel: 'inside', text: 'b' }))).toBe('ok');
    expect(await answer(client.chat.postMessage({ channel: 'C0OPS00001', text: 'c' }))).toBe('ok');
    expect(await answer(client.chat.postEphemeral({ channel: '#ops', user: ADA, text: 'd' }))).toBe('ok');
    // The answer names the channel by ID, whatever the call named it by.
    expect((await client.chat.postMessage({ channel: '#ops', text: 'e' })).channel).toBe('C0OPS00001');
  });

  it('chat.update, conversations.info and conversations.join answer channel_not_found to a name', async () => {
    const { ts } = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'to update' });
    expect(await answer(client.chat.update({ channel: '#ops', ts: ts ?? '', text: 'x' }))).toBe(
      'channel_not_found',
    );
    expect(await answer(client.chat.update({ channel: 'C0OPS00001', ts: ts ?? '', text: 'x' }))).toBe('ok');
    expect(await answer(client.conversations.info({ channel: '#ops' }))).toBe('channel_not_found');
    expect(await answer(client.conversations.join({ channel: '#outside' }))).toBe('channel_not_found');
    expect(sim.refused.map((r) => `${r.method} ${r.error}`)).toEqual([
      'chat.update channel_not_found',
      'conversations.info channel_not_found',
      'conversations.join channel_not_found',
    ]);
  });
});

describe('channels the bot is not in', () => {
  it('a private one does not exist, to the bot: channel_not_found everywhere, and not listed', async () => {
    for (const channel of ['G0SECRET01', 'secret']) {
      expect(await answer(client.chat.postMessage({ channel, text: 'x' }))).toBe('channel_not_found');
      expect(await answer(client.chat.postEphemeral({ channel, user: ADA, text: 'x' }))).toBe(
        'channel_not_found',
      );
    }
    expect(await answer(client.conversations.info({ channel: 'G0SECRET01' }))).toBe('channel_not_found');
    expect(await answer(client.conversations.join({ channel: 'G0SECRET01' }))).toBe('channel_not_found');
    const listed = await client.conversations.list({ types: 'public_channel,private_channel' });
    expect(listed.channels?.map((c) => c.id)).toEqual(['C0OPS00001', 'C0OUTSIDE1', 'G0INSIDE01']);
  });

  it('a public one: chat:write.public posts there; without it, not_in_channel until the bot joins', async () => {
    expect(await answer(client.chat.postMessage({ channel: 'C0OUTSIDE1', text: 'public' }))).toBe('ok');
    sim.scopes.delete('chat:write.public');
    expect(await answer(client.chat.postMessage({ channel: 'C0OUTSIDE1', text: 'x' }))).toBe(
      'not_in_channel',
    );
    expect(await answer(client.conversations.join({ channel: 'C0OUTSIDE1' }))).toBe('ok');
    expect(await answer(client.chat.postMessage({ channel: 'C0OUTSIDE1', text: 'y' }))).toBe('ok');
    const outside = sim.channels.get('C0OUTSIDE1');
    if (outside) outside.botMember = false;
  });
});

describe('chat.update', () => {
  it('message_not_found for a ts the channel has not; cant_update_message for another app’s message', async () => {
    expect(await answer(client.chat.update({ channel: 'C0OPS00001', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
    const { ts } = await client.chat.postMessage({ channel: 'G0INSIDE01', text: 'elsewhere' });
    expect(await answer(client.chat.update({ channel: 'C0OPS00001', ts: ts ?? '', text: 'x' }))).toBe(
      'message_not_found',
    );
    const foreign = sim.addForeignMessage('C0OPS00001', 'another app');
    expect(await answer(client.chat.update({ channel: 'C0OPS00001', ts: foreign, text: 'x' }))).toBe(
      'cant_update_message',
    );
  });
});

describe('chat.postEphemeral', () => {
  it('user_not_in_channel for someone not in the channel', async () => {
    expect(await answer(client.chat.postEphemeral({ channel: 'G0INSIDE01', user: ADA, text: 'a' }))).toBe(
      'ok',
    );
    expect(await answer(client.chat.postEphemeral({ channel: 'G0INSIDE01', user: GRACE, text: 'b' }))).toBe(
      'user_not_in_channel',
    );
    expect(sim.ephemerals.filter((e) => e.channel === 'G0INSIDE01').map((e) => e.user)).toEqual([ADA]);
  });
});

describe('direct messages', () => {
  it('conversations.open answers the same D… channel each time; chat.postMessage takes it, or the user ID itself', async () => {
    const opened = await client.conversations.open({ users: GRACE });
    const id = opened.channel?.id;
    expect(id).toMatch(/^D/);
    expect((await client.conversations.open({ users: GRACE })).channel?.id).toBe(id);
    const byChannel = await client.chat.postMessage({ channel: id ?? '', text: 'by channel' });
    const byUser = await client.chat.postMessage({ channel: GRACE, text: 'by user' });
    expect([byChannel.channel, byUser.channel]).toEqual([id, id]);
    expect(sim.messagesIn(id ?? '').map((m) => m.text)).toEqual(['by channel', 'by user']);
    expect(await answer(client.conversations.open({ users: 'U0NOBODY01' }))).toBe('user_not_found');
    expect(await answer(client.chat.postMessage({ channel: 'U0NOBODY01', text: 'x' }))).toBe(
      'channel_not_found',
    );
  });
});

describe('response_url', () => {
  it('takes five messages, then answers 404 used_url', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await respond('five', `m${i}`));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(sim.responses.filter((r) => r.id === 'five')).toHaveLength(5);
    expect(sim.refused).toEqual([
      expect.objectContaining({ method: 'response_url', error: 'used_url', status: 404 }),
    ]);
  });

  it('after 30 minutes answers 404 expired_url; one Slack never handed out, invalid_url', async () => {
    sim.responseUrl('old');
    sim.advance(30 * 60_000 + 1);
    expect(await respond('old', 'late')).toBe(404);
    const unknown = await fetch(`${sim.url}/response/never-issued`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"text":"x"}',
    });
    expect(unknown.status).toBe(404);
    expect(sim.refused.map((r) => r.error)).toEqual(['expired_url', 'invalid_url']);
  });
});

describe('trigger_id', () => {
  const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'A form' }, blocks: [] };

  it('opens one view, once: exchanged_trigger_id the second time', async () => {
    const trigger = sim.triggerId();
    expect(await answer(client.views.open({ trigger_id: trigger, view }))).toBe('ok');
    expect(await answer(client.views.open({ trigger_id: trigger, view }))).toBe('exchanged_trigger_id');
    expect(await answer(client.views.push({ trigger_id: trigger, view }))).toBe('exchanged_trigger_id');
  });

  it('expired_trigger_id after 3 seconds; invalid_trigger_id for one Slack never handed out', async () => {
    const trigger = sim.triggerId();
    sim.advance(3001);
    expect(await answer(client.views.open({ trigger_id: trigger, view }))).toBe('expired_trigger_id');
    expect(await answer(client.views.open({ trigger_id: '123.456.abc', view }))).toBe('invalid_trigger_id');
  });
});

describe('views.update', () => {
  it('takes the current hash, answers hash_conflict to a stale one and not_found to an unknown view', async () => {
    const opened = await client.views.open({
      trigger_id: sim.triggerId(),
      view: { type: 'modal', title: { type: 'plain_text', text: 'v1' }, blocks: [] },
    });
    const id = opened.view?.id ?? '';
    const first = opened.view?.hash ?? '';
    const v2 = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'v2' }, blocks: [] };
    const updated = await client.views.update({ view_id: id, hash: first, view: v2 });
    expect(updated.view?.hash).not.toBe(first);
    expect(await answer(client.views.update({ view_id: id, hash: first, view: v2 }))).toBe('hash_conflict');
    expect(await answer(client.views.update({ view_id: id, view: v2 }))).toBe('ok');
    expect(await answer(client.views.update({ view_id: 'VNOSUCH', view: v2 }))).toBe('not_found');
  });
});

describe('rate limits', () => {
  // Refills follow the simulator's clock; stopped, they come only from advance(), however slow the machine.
  beforeAll(() => {
    sim.stopClock();
  });

  it('Tier 3 (chat.update): a minute’s worth back to back, then 429 with Retry-After; the allowance refills', async () => {
    const { ts } = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'counted' });
    const update = () => answer(client.chat.update({ channel: 'C0OPS00001', ts: ts ?? '', text: 'again' }));
    const answers = [];
    for (let i = 0; i < 51; i++) answers.push(await update());
    expect(answers.slice(0, 50).every((a) => a === 'ok')).toBe(true);
    // 50 a minute: the next call is 1.2 s away.
    expect(answers[50]).toBe('429 after 2');
    expect(sim.refused.at(-1)).toMatchObject({ method: 'chat.update', error: 'ratelimited', status: 429 });
    sim.advance(60_000);
    expect(await update()).toBe('ok');
  });

  it('Tier 2 (conversations.list, users.list) at 20, Tier 4 (users.info) at 100, each method its own', async () => {
    const count = async (call: () => Promise<unknown>, n: number) => {
      let ok = 0;
      for (let i = 0; i < n; i++) if ((await answer(call())) === 'ok') ok++;
      return ok;
    };
    expect(await count(() => client.conversations.list({}), 25)).toBe(20);
    expect(await count(() => client.users.list({}), 25)).toBe(20);
    expect(await count(() => client.users.info({ user: ADA }), 105)).toBe(100);
    sim.advance(60_000);
  });

  it('chat.postMessage: about one a second per channel, a short burst allowed; other channels unaffected', async () => {
    sim.advance(60_000);
    const post = (channel: string) => answer(client.chat.postMessage({ channel, text: 'p' }));
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await post('C0OPS00001'));
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', '429 after 1']);
    // By name, the same channel: the same allowance.
    expect(await post('#ops')).toBe('429 after 1');
    expect(await post('G0INSIDE01')).toBe('ok');
    sim.advance(1000);
    expect(await post('C0OPS00001')).toBe('ok');
  });

  it('a test that goes faster than Slack on purpose turns the limits off', async () => {
    sim.advance(60_000);
    sim.enforceRateLimits = false;
    try {
      for (let i = 0; i < 10; i++)
        expect(await answer(client.chat.postMessage({ channel: 'C0OPS00001', text: 'x' }))).toBe('ok');
    } finally {
      sim.enforceRateLimits = true;
    }
  });
});
