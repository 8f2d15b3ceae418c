import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { SANDBOX_BOT_TOKEN, type SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// What dpbot does when Slack refuses a call the way the real Slack does (sandbox/slack/RULES.md):
// the person still gets an answer that says what to do, nothing is lost, the command is audited.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const FORM = 'application/x-www-form-urlencoded';
const HALF_AN_HOUR = 30 * 60_000;

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;
const fixtures = fixtureCommands();

beforeAll(async () => {
  sim = slackWithPeople().addChannel({
    id: 'C0FEW00001',
    name: 'few',
    botMember: true,
    members: [ADA, GRACE],
  });
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database, { extraCommands: fixtures.commands });
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot?.stop();
  await sim?.stop();
  await database?.drop();
  fixture?.remove();
});

async function outcomes(commandText: string) {
  const r = await database.query<{ outcome: string; error: string | null }>(
    "SELECT outcome, error FROM audit_log WHERE command_text = $1 AND kind = 'outcome' ORDER BY id",
    [commandText],
  );
  return r.rows;
}

const ephemeralTexts = (channel: string, user: string) =>
  sim.ephemerals.filter((e) => e.channel === channel && e.user === user).map((e) => e.text);

describe('a trigger_id Slack no longer takes', () => {
  it('older than 3 seconds: the form is asked for in text instead, and the outcome audited', async () => {
    const { body, responseId, triggerId } = slack.slashBody('form', ADA);
    sim.advance(3_500);
    expect((await slack.send(body, FORM)).status).toBe(200);
    await eventually(() =>
      expect(slack.responses(responseId).map((r) => r.text)).toEqual([
        expect.stringContaining('Not run: name is missing: pass it as name=&lt;name&gt;'),
      ]),
    );
    expect(sim.refused.filter((r) => r.method === 'views.open')).toEqual([
      expect.objectContaining({
        error: 'expired_trigger_id',
        args: expect.objectContaining({ trigger_id: triggerId }),
      }),
    ]);
    await eventually(async () =>
      expect(await outcomes('form')).toEqual([
        { outcome: 'rejected', error: 'name is missing: pass it as name=<name>' },
      ]),
    );
  });

  it('already used: the second form is asked for in text', async () => {
    const first = slack.slashBody('form', GRACE);
    const again = new URLSearchParams(slack.slashBody('form', GRACE).body);
    again.set('trigger_id', first.triggerId);
    expect((await slack.send(first.body, FORM)).status).toBe(200);
    await eventually(() => expect(sim.openedViews.map((v) => v.triggerId)).toContain(first.triggerId));
    expect((await slack.send(again.toString(), FORM)).status).toBe(200);
    await eventually(() =>
      expect(slack.responses(again.get('response_url')?.split('/').at(-1) ?? '')).toEqual([
        expect.objectContaining({ text: expect.stringContaining('name is missing') }),
      ]),
    );
    expect(sim.refused.at(-1)).toMatchObject({ method: 'views.open', error: 'exchanged_trigger_id' });
  });
});

describe('a response_url Slack no longer takes', () => {
  it('used five times: the rest of the replies come by chat.postEphemeral, none lost', async () => {
    const { responseId } = await slack.slash('replies 7', ADA, 'C0FEW00001');
    await eventually(() =>
      expect(ephemeralTexts('C0FEW00001', ADA)).toEqual(['reply 6 of 7', 'reply 7 of 7']),
    );
    expect(slack.responses(responseId).map((r) => r.text)).toEqual(
      [1, 2, 3, 4, 5].map((i) => `reply ${i} of 7`),
    );
    // dpbot counted: it never sent the response URL a sixth.
    expect(sim.refused.filter((r) => r.method === 'response_url')).toEqual([]);
  });

  it('older than 30 minutes: refused once, then chat.postEphemeral carries every reply', async () => {
    const { body, responseId } = slack.slashBody('replies 2', GRACE, 'C0FEW00001');
    sim.advance(HALF_AN_HOUR + 60_000);
    expect((await slack.send(body, FORM)).status).toBe(200);
    await eventually(() =>
      expect(ephemeralTexts('C0FEW00001', GRACE)).toEqual(['reply 1 of 2', 'reply 2 of 2']),
    );
    expect(slack.responses(responseId)).toEqual([]);
    expect(sim.refused.filter((r) => r.method === 'response_url')).toEqual([
      expect.objectContaining({ error: 'expired_url', status: 404 }),
    ]);
    await eventually(async () =>
      expect(await outcomes('replies 2')).toEqual([{ outcome: 'ok', error: null }]),
    );
  });
});

describe('chat.postEphemeral refused', () => {
  it('to someone no longer in the channel (user_not_in_channel): the reply comes as a direct message', async () => {
    const few = sim.channels.get('C0FEW00001');
    const { body } = slack.slashBody('replies 6', GRACE, 'C0FEW00001');
    // Grace leaves the channel while her command runs.
    if (few) few.members = [ADA];
    try {
      expect((await slack.send(body, FORM)).status).toBe(200);
      await eventually(() =>
        expect(sim.messagesIn(`D${GRACE}`).map((m) => m.text)).toContain('reply 6 of 6'),
      );
      expect(sim.refused.at(-1)).toMatchObject({
        method: 'chat.postEphemeral',
        error: 'user_not_in_channel',
      });
    } finally {
      if (few) few.members = [ADA, GRACE];
    }
  });

  it('in a conversation dpbot is not in (a direct message between two people): a direct message', async () => {
    const { responseId } = await slack.slash('replies 6', ADA, 'D0ADAGRACE');
    await eventually(() => expect(sim.messagesIn(`D${ADA}`).map((m) => m.text)).toContain('reply 6 of 6'));
    expect(slack.responses(responseId)).toHaveLength(5);
    expect(sim.refused.at(-1)).toMatchObject({ method: 'chat.postEphemeral', error: 'channel_not_found' });
  });
});

describe('configured channels Slack does not know', () => {
  it('are reported at start, each with its setting and the fix', async () => {
    const lines: Record<string, unknown>[] = [];
    const other = createFixture({
      config: {
        slack: { apiUrl: sim.apiUrl, channels: { admin: '#no-such-channel', announce: '#secret' } },
      },
    });
    const db = await createTestDatabase();
    const started = await startSlackBot(other, db, {
      // In production the token comes from the environment, where the start-up doctor reads it.
      env: { SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN },
      log: pino(
        { level: 'warn' },
        { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
      ),
    });
    try {
      const problems = lines.flatMap((l) => (Array.isArray(l.problems) ? (l.problems as string[]) : []));
      expect(problems).toEqual(
        expect.arrayContaining([
          'FAIL slack channels: #no-such-channel (slack.channels.admin) is neither a public channel nor a private one dpbot is in — create #no-such-channel, or invite dpbot to it (in #no-such-channel: /invite @dpbot), or correct slack.channels.admin',
          // A private channel dpbot was not invited to is, to dpbot, one that does not exist.
          'FAIL slack channels: #secret (slack.channels.announce) is neither a public channel nor a private one dpbot is in — create #secret, or invite dpbot to it (in #secret: /invite @dpbot), or correct slack.channels.announce',
        ]),
      );
    } finally {
      await started.stop();
      await db.drop();
      other.remove();
    }
  });
});

describe('a channel renamed in Slack', () => {
  it('channel_rename makes dpbot look the configured name up again', async () => {
    sim.addChannel({ id: 'C0TEAM0001', name: 'team', botMember: true });
    const notifier = bot.app.services.notifier;
    expect((await notifier.post('#team', { text: 'before' })).channel).toBe('C0TEAM0001');
    // Renamed, and a new #team made in its place.
    const team = sim.channels.get('C0TEAM0001');
    if (team) team.name = 'team-archive';
    sim.addChannel({ id: 'C0NEWTEAM1', name: 'team', botMember: true });
    const event = await slack.event({
      type: 'channel_rename',
      channel: { id: 'C0TEAM0001', name: 'team-archive', created: 1_700_000_000 },
    });
    expect(event.status).toBe(200);
    await eventually(async () =>
      expect((await notifier.post('#team', { text: 'after' })).channel).toBe('C0NEWTEAM1'),
    );
  });
});
