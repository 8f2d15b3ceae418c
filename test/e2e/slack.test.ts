import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { APPROVE_ACTION, CONFIRM_ACTION, DENY_ACTION, RUN_ACTION } from '../../pipeline/views/common.ts';
import { MODAL_INPUT } from '../../pipeline/views/modal.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import {
  FakeSlack,
  type SendOptions,
  SIGNING_SECRET,
  signature,
  slackWithPeople,
  startSlackBot,
} from '../support/slack.ts';

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const LINUS = 'U0LINUS001';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;
const fixtures = fixtureCommands();

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({
    config: { slack: { apiUrl: sim.apiUrl, updateInterval: '300ms' } },
    policies: {
      'platform.yaml': standardPolicies,
      'oncall.yaml': {
        grants: [
          {
            group: 'file:team-x-oncall',
            actions: ['workers.scale'],
            resources: ['team:team-x'],
            limits: { maxReplicas: 5 },
          },
          {
            group: 'file:engineering',
            actions: ['audit.read'],
            approval: { group: 'file:data-platform', count: 1 },
          },
        ],
      },
    },
  });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database, { extraCommands: fixtures.commands });
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

const auditCount = async () =>
  Number((await database.query('SELECT count(*) AS n FROM audit_log')).rows[0]?.n);

async function rowsFor(commandText: string) {
  const r = await database.query(
    'SELECT kind, decision, outcome, email, slack_user_id, entry FROM audit_log WHERE command_text = $1 ORDER BY id',
    [commandText],
  );
  return r.rows;
}

describe('request signing', () => {
  it('rejects forged, stale, future-dated, unsigned and replayed requests: 401, nothing runs, nothing audited', async () => {
    const before = await auditCount();
    const calls = sim.requests.length;
    const { body } = slack.slashBody('help', ADA);
    const form = 'application/x-www-form-urlencoded';
    const now = Math.floor(Date.now() / 1000);

    expect((await slack.send(body, form, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await slack.send(body, form, { signature: 'v0=deadbeef' })).status).toBe(401);
    expect((await slack.send(body, form, { timestamp: String(now - 6 * 60) })).status).toBe(401);
    expect((await slack.send(body, form, { timestamp: String(now + 6 * 60) })).status).toBe(401);
    expect((await slack.send(body, form, { omitHeaders: true })).status).toBe(401);
    expect(
      (
        await slack.send(`${body}&text=whoami`, form, {
          signature: signature(SIGNING_SECRET, String(now), body),
        })
      ).status,
    ).toBe(401);

    // A valid request, then the very same bytes again.
    const timestamp = String(now);
    const first = await slack.send(body, form, { timestamp });
    expect(first.status).toBe(200);
    const replay = await slack.send(body, form, { timestamp });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ error: 'replayed request' });

    // Only the one valid request was handled: its two audit rows, one users.info lookup, one reply.
    await eventually(async () => expect(await auditCount()).toBe(before + 2));
    await eventually(() =>
      expect(
        sim.requests
          .slice(calls)
          .map((r) => r.path)
          .filter((p) => p !== '/api/auth.test'),
      ).toEqual(['/api/users.info', expect.stringMatching(/^\/response\//)]),
    );
  });
});

describe('request signing: every kind of request', () => {
  it('a forged, stale, future, half-signed or unsigned slash command, click or event runs nothing and audits nothing; a replay of a valid one neither', async () => {
    const text = 'drain team-x --size 3';
    const ran = () => fixtures.runs.filter((r) => r === 'team-x:3:grace@example.com').length;
    const postedBefore = sim.requests.filter((r) => r.path === '/api/chat.postMessage').length;
    const auditBefore = await auditCount();
    const now = Math.floor(Date.now() / 1000);
    const forgeries: [string, SendOptions][] = [
      ['wrong secret', { secret: 'not-the-secret' }],
      ['made-up signature', { signature: `v0=${'0'.repeat(64)}` }],
      ['other scheme', { signature: 'v1=deadbeef' }],
      ['stale', { timestamp: String(now - 6 * 60) }],
      ['future', { timestamp: String(now + 6 * 60) }],
      ['no signature', { omit: 'x-slack-signature' }],
      ['no timestamp', { omit: 'x-slack-request-timestamp' }],
      ['no headers', { omitHeaders: true }],
    ];
    for (const [what, options] of forgeries) {
      const slash = await slack.slash(text, GRACE, 'C0OPS00001', options);
      const click = await slack.click(
        { user: GRACE, actionId: RUN_ACTION, value: text, messageTs: '1800000077.000001', blockId: what },
        options,
      );
      const event = await slack.event(
        { type: 'app_home_opened', user: LINUS, channel: 'D0LINUS', tab: 'home' },
        options,
      );
      expect([what, slash.status, click.status, event.status]).toEqual([what, 401, 401, 401]);
    }

    // One valid slash command and one valid click, each sent twice byte for byte.
    expect((await slack.slash(text, GRACE)).status).toBe(200);
    const slash = slack.last;
    expect(
      (await slack.click({ user: GRACE, actionId: RUN_ACTION, value: text, messageTs: '1800000077.000002' }))
        .status,
    ).toBe(200);
    const click = slack.last;
    for (const sent of [slash, click]) {
      if (!sent) throw new Error('nothing was sent');
      const replay = await slack.send(sent.body, sent.contentType, { timestamp: sent.timestamp });
      expect(replay.status).toBe(401);
      expect(await replay.json()).toEqual({ error: 'replayed request' });
    }

    // Only the two valid requests ran: their announcements, their audit rows, nothing else.
    await eventually(() => expect(ran()).toBe(2), 30_000);
    await eventually(async () => {
      const rows = await rowsFor(text);
      expect(rows.map((r) => `${r.kind}:${r.entry}`)).toEqual([
        'attempt:slack',
        'outcome:slack',
        'attempt:button',
        'outcome:button',
      ]);
    });
    expect(await auditCount()).toBe(auditBefore + 4);
    // The announcement goes out after the outcome is audited, so it may still be on its way.
    await eventually(() =>
      expect(sim.requests.filter((r) => r.path === '/api/chat.postMessage').length - postedBefore).toBe(2),
    );
    expect(sim.publishedViews.get(LINUS)).toBeUndefined();
    expect(ran()).toBe(2);
  });
});

describe('slash commands', () => {
  it('asks Slack who the bot is once, not before every request', async () => {
    for (let i = 0; i < 3; i++) expect((await slack.slash('whoami', ADA)).status).toBe(200);
    await eventually(() =>
      expect(sim.requests.filter((r) => r.path === '/api/users.info').length).toBeGreaterThan(0),
    );
    expect(sim.requests.filter((r) => r.path === '/api/auth.test')).toHaveLength(1);
  });

  it('answers /dp help ephemerally, and audits the Slack user by e-mail', async () => {
    const r = await slack.slash('help', ADA);
    expect(r.status).toBe(200);
    await eventually(() => expect(slack.responses(r.responseId)).toHaveLength(1));
    const [reply] = slack.responses(r.responseId);
    expect(reply?.response_type).toBe('ephemeral');
    expect(JSON.stringify(reply?.blocks)).toContain('dpbot commands you may run');
    expect(await rowsFor('help')).toContainEqual({
      kind: 'outcome',
      decision: 'allow',
      outcome: 'ok',
      email: 'ada@example.com',
      slack_user_id: ADA,
      entry: 'slack',
    });
  });

  it('denies people outside the directory, deactivated accounts and accounts without e-mail, saying how to get access', async () => {
    const stranger = await slack.slash('whoami', 'U0MALLORY1');
    expect(stranger.ack?.text).toContain("mallory@example.com is not in dpbot's directory");
    const deactivated = await slack.slash('whoami', 'U0OLIVE001');
    expect(deactivated.ack?.text).toContain('is deactivated');
    const noMail = await slack.slash('whoami', 'U0NOMAIL01');
    expect(noMail.ack?.text).toContain('users:read.email');
  });

  it('says plainly when Slack cannot tell who is asking, and runs nothing', async () => {
    sim.addUser({ id: 'U0NEWCOMER', name: 'newcomer', email: 'ada@example.com' });
    sim.inject({ path: /users\.info$/, status: 500, times: 10 });
    try {
      const r = await slack.slash('whoami', 'U0NEWCOMER');
      expect(r.ack?.text).toMatch(
        /^Failed: dpbot could not tell who you are \(Slack: could not look up your Slack profile/,
      );
      const rows = await database.query("SELECT decision FROM audit_log WHERE slack_user_id = 'U0NEWCOMER'");
      expect(rows.rows).toEqual([{ decision: 'deny' }]);
    } finally {
      sim.clearFaults();
    }
  });

  it('acknowledges before the work is done, then replies through the response URL', async () => {
    const r = await slack.slash('slow', ADA);
    // The HTTP answer came back while the command is still waiting for the test to release it.
    expect(r.status).toBe(200);
    expect(fixtures.runs).not.toContain('slow');
    expect(slack.responses(r.responseId)).toEqual([]);
    fixtures.release();
    await eventually(() => expect(slack.responses(r.responseId)).toHaveLength(1));
    expect(slack.responses(r.responseId)[0]).toMatchObject({
      text: 'slow work finished',
      response_type: 'ephemeral',
    });
  });

  it('announces changes in the channel with chat.postMessage, so the channel sees who did what', async () => {
    const r = await slack.slash('drain team-x --size 2', GRACE);
    expect(r.status).toBe(200);
    await eventually(() =>
      expect(sim.messagesIn('C0OPS00001').map((m) => m.text)).toContain(
        'drained team-x by grace@example.com',
      ),
    );
  });

  it('joins a public channel it was not in to announce there', async () => {
    await slack.slash('drain team-x --size 1', GRACE, 'C0ELSEWHERE');
    await eventually(() =>
      expect(sim.messagesIn('C0ELSEWHERE').map((m) => m.text)).toEqual([
        'drained team-x by grace@example.com',
      ]),
    );
  });

  it('falls back to the response URL in a private channel the bot was not invited to', async () => {
    const r = await slack.slash('drain team-x --size 1', GRACE, 'G0SECRET01');
    await eventually(() =>
      expect(slack.responses(r.responseId)).toContainEqual(
        expect.objectContaining({ response_type: 'in_channel', text: 'drained team-x by grace@example.com' }),
      ),
    );
  });

  it('coalesces many updates of one message and still ends on the last one, through a 429', async () => {
    sim.inject({ path: /chat\.update$/, status: 429, headers: { 'retry-after': '1' }, times: 1 });
    await slack.slash('progress 30', ADA);
    await eventually(() => {
      const message = sim.messagesIn('C0OPS00001').find((m) => m.history[0]?.text === 'step 0');
      expect(message?.text).toBe('step 30');
    }, 20_000);
    const message = sim.messagesIn('C0OPS00001').find((m) => m.history[0]?.text === 'step 0');
    const updates = sim.requests.filter((r) => r.path === '/api/chat.update').length;
    expect(message?.history.length).toBeLessThan(10);
    expect(updates).toBeLessThan(12);
  });
});

describe('buttons', () => {
  it('a confirmation: only the caller can confirm, it runs once, the second click is told who did it', async () => {
    const asked = await slack.slash('drain team-x --size 0', ADA);
    // Acknowledged as soon as the attempt is recorded; the question follows through the response URL.
    expect(asked.ack).toBeUndefined();
    await eventually(() => expect(slack.responses(asked.responseId)).toHaveLength(1));
    const [question] = slack.responses(asked.responseId);
    expect(question?.text).toBe('Confirm: Drain team-x to 0');
    const blocks = (question?.blocks ?? []) as {
      type: string;
      elements?: { action_id: string; value: string }[];
    }[];
    const actions = blocks.find((b) => b.type === 'actions');
    const pendingId = actions?.elements?.find((e) => e.action_id === CONFIRM_ACTION)?.value ?? '';

    const stranger = await slack.click({
      user: GRACE,
      actionId: CONFIRM_ACTION,
      value: pendingId,
      ephemeral: true,
    });
    await eventually(() =>
      expect(JSON.stringify(slack.responses(stranger.responseId))).toContain(
        'only ada@example.com, who asked for this',
      ),
    );

    const first = await slack.click({
      user: ADA,
      actionId: CONFIRM_ACTION,
      value: pendingId,
      ephemeral: true,
    });
    const second = await slack.click({
      user: ADA,
      actionId: CONFIRM_ACTION,
      value: pendingId,
      ephemeral: true,
    });
    await eventually(() =>
      expect(fixtures.runs.filter((r) => r === 'team-x:0:ada@example.com')).toHaveLength(1),
    );
    await eventually(() => {
      const all = JSON.stringify([
        ...slack.responses(first.responseId),
        ...slack.responses(second.responseId),
      ]);
      expect(all).toContain('Already confirmed by ada@example.com');
      expect(all).toContain('Confirmed by ada@example.com: Drain team-x to 0');
    });
    expect(fixtures.runs.filter((r) => r === 'team-x:0:ada@example.com')).toHaveLength(1);
  });

  it('a run button acts once per message; a second click says who already did it', async () => {
    const click = () =>
      slack.click({
        user: GRACE,
        actionId: RUN_ACTION,
        value: 'drain team-x --size 1',
        messageTs: '1800000099.000001',
        blockId: 'offer',
      });
    const before = fixtures.runs.filter((r) => r === 'team-x:1:grace@example.com').length;
    await Promise.all([click(), click()]);
    const third = await click();
    await eventually(() =>
      expect(JSON.stringify(slack.responses(third.responseId))).toMatch(
        /Already done by grace@example\.com at \d{4}-/,
      ),
    );
    expect(fixtures.runs.filter((r) => r === 'team-x:1:grace@example.com').length - before).toBe(1);
  });

  it('two-person approval: not the requester, only the approver group, then it runs as the requester', async () => {
    const asked = await slack.slash('audit limit=1', LINUS);
    expect(asked.status).toBe(200);
    const request = await eventually(() => {
      const m = sim
        .messagesIn('C0OPS00001')
        .find((x) => x.text.startsWith('Linus Torvalds asks to run: audit limit=1'));
      expect(m).toBeDefined();
      return m;
    });
    const buttons = JSON.stringify(request?.blocks);
    const pendingId = /"action_id":"dp\.approve","value":"([0-9a-f-]{36})"/.exec(buttons)?.[1] ?? '';
    expect(buttons).toContain(DENY_ACTION);

    const own = await slack.click({
      user: LINUS,
      actionId: APPROVE_ACTION,
      value: pendingId,
      messageTs: request?.ts,
    });
    await eventually(() =>
      expect(JSON.stringify(slack.responses(own.responseId))).toContain('cannot approve your own request'),
    );
    const outsider = await slack.click({
      user: GRACE,
      actionId: APPROVE_ACTION,
      value: pendingId,
      messageTs: request?.ts,
    });
    await eventually(() =>
      expect(JSON.stringify(slack.responses(outsider.responseId))).toContain(
        'only members of file:data-platform',
      ),
    );
    await slack.click({ user: ADA, actionId: APPROVE_ACTION, value: pendingId, messageTs: request?.ts });
    await eventually(async () => {
      const rows = await rowsFor('audit limit=1');
      expect(rows.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'ok', email: 'linus@example.com' });
    });
    const steps = (await rowsFor('audit limit=1')).map(
      (r) => `${r.kind}:${r.outcome ?? r.decision}:${r.email}`,
    );
    expect(steps).toEqual([
      'attempt:allow:linus@example.com',
      'step:approval_requested:linus@example.com',
      'step:approval_refused:linus@example.com',
      'step:approval_refused:grace@example.com',
      'step:approval_given:ada@example.com',
      'step:approved:linus@example.com',
      'outcome:ok:linus@example.com',
    ]);
    // The request message now says who approved it.
    await eventually(() =>
      expect(sim.messagesIn('C0OPS00001').find((m) => m.ts === request?.ts)?.text).toContain(
        'Approved by Ada Lovelace (ada@example.com)',
      ),
    );
  });
});

describe('forms', () => {
  it('opens a modal for missing arguments, and the submission runs as a command', async () => {
    const r = await slack.slash('form', ADA);
    const opened = await eventually(() => {
      const v = sim.openedViews.find((o) => o.triggerId === r.triggerId);
      expect(v).toBeDefined();
      return v;
    });
    const view = opened?.view ?? {};
    expect(view.callback_id).toBe('dp.command');
    const submitted = await slack.submit(ADA, {
      ...view,
      state: { values: { name: { [MODAL_INPUT]: { type: 'plain_text_input', value: 'Ada "the first"' } } } },
    });
    expect(submitted.status).toBe(200);
    // Accepted: Slack closes the form.
    expect(submitted.judged).toEqual({ open: false });
    await eventually(() => expect(fixtures.runs).toContain('form:Ada "the first"'));
    expect(await rowsFor('form name="Ada \\"the first\\""')).toContainEqual(
      expect.objectContaining({ kind: 'outcome', outcome: 'ok', entry: 'modal' }),
    );
  });
});

describe('forms: bad values', () => {
  it('a value its argument refuses is shown under that input, the form stays open, and it is audited', async () => {
    const r = await slack.slash('form', GRACE);
    const opened = await eventually(() => {
      const v = sim.openedViews.find((o) => o.triggerId === r.triggerId);
      expect(v).toBeDefined();
      return v;
    });
    const long = 'x'.repeat(41);
    const submitted = await slack.submit(GRACE, {
      ...opened?.view,
      id: opened?.id,
      state: { values: { name: { [MODAL_INPUT]: { type: 'plain_text_input', value: long } } } },
    });
    expect(submitted.judged).toEqual({ open: true, errors: { name: 'expected at most 40 character(s)' } });
    expect(sim.isViewOpen(opened?.id ?? '')).toBe(true);
    expect(fixtures.runs).not.toContain(`form:${long}`);
    expect(await rowsFor(`form name=${long}`)).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'invalid', entry: 'modal' }),
    ]);
  });
});

describe('events', () => {
  it('publishes the App Home with identity, grants and recent commands', async () => {
    // A recent command of Ada's for the Home to list.
    const help = await slack.slash('help', ADA);
    await eventually(() => expect(slack.responses(help.responseId)).toHaveLength(1));
    expect(
      (await slack.event({ type: 'app_home_opened', user: ADA, channel: 'D0ADA', tab: 'home' })).status,
    ).toBe(200);
    await eventually(() => expect(sim.publishedViews.get(ADA)).toBeDefined());
    const home = JSON.stringify(sim.publishedViews.get(ADA));
    expect(home).toContain('Ada Lovelace');
    expect(home).toContain('file:data-platform');
    expect(home).toContain('Your recent commands');
    expect(home).toContain('`help`');
  });

  it("lists each recent command with what became of it, not the authorization's decision", async () => {
    // Allowed, then refused by the command itself; allowed and done; waiting for a confirmation.
    const refused = await slack.slash('drain too-big --size 2', ADA);
    await eventually(() => expect(slack.responses(refused.responseId)).toHaveLength(1));
    await slack.slash('drain home-done --size 1', ADA);
    await eventually(async () =>
      expect(await rowsFor('drain home-done --size 1')).toContainEqual(
        expect.objectContaining({ outcome: 'ok' }),
      ),
    );
    const waiting = await slack.slash('drain home-wait --size 0', ADA);
    await eventually(() => expect(slack.responses(waiting.responseId)).toHaveLength(1));
    sim.publishedViews.delete(ADA);
    await slack.event({ type: 'app_home_opened', user: ADA, channel: 'D0ADA', tab: 'home' });
    await eventually(() => expect(sim.publishedViews.get(ADA)).toBeDefined());
    const home = JSON.stringify(sim.publishedViews.get(ADA));
    expect(home).toContain('`drain too-big --size 2` · refused');
    expect(home).toContain('`drain home-done --size 1` · done');
    expect(home).toContain('`drain home-wait --size 0` · waiting for your confirmation');
    expect(home).not.toContain('· allow');
  });

  it('forgets a cached profile on user_change, so a deactivation counts at once', async () => {
    expect((await slack.slash('whoami', GRACE)).ack).toBeUndefined();
    const grace = sim.users.get(GRACE);
    if (grace) grace.deleted = true;
    await slack.event({ type: 'user_change', user: { id: GRACE, deleted: true } });
    await eventually(async () => {
      const r = await slack.slash('whoami', GRACE);
      expect(r.ack?.text).toContain('is deactivated');
    });
    if (grace) grace.deleted = false;
    await slack.event({ type: 'user_change', user: { id: GRACE, deleted: false } });
  });

  it('without a user_change event, a deactivation counts after "access sync slack" clears the cache', async () => {
    expect((await slack.slash('whoami', GRACE)).ack).toBeUndefined();
    const grace = sim.users.get(GRACE);
    if (!grace) throw new Error('the simulator has no Grace');
    grace.deleted = true;
    try {
      // No event: the cached profile still stands (for at most access.identityCacheTtl).
      expect((await slack.slash('whoami', GRACE)).ack?.text ?? '').not.toContain('is deactivated');
      const cleared = await slack.slash('access sync slack', ADA);
      await eventually(() =>
        expect(JSON.stringify([cleared.ack, slack.responses(cleared.responseId)])).toMatch(
          /Forgot \d+ cached Slack profile/,
        ),
      );
      const r = await slack.slash('whoami', GRACE);
      expect(r.ack?.text).toContain('is deactivated');
    } finally {
      grace.deleted = false;
      await slack.slash('access sync slack', ADA);
    }
  });
});

describe('health', () => {
  it('serves /healthz and /readyz', async () => {
    expect(await (await fetch(`${bot.server.url}/healthz`)).json()).toEqual({ status: 'ok' });
    // The start-up doctor's result rides along; it does not decide readiness.
    const ready = (await (await fetch(`${bot.server.url}/readyz`)).json()) as Record<string, unknown>;
    expect(ready).toEqual({ status: 'ready', doctor: bot.doctor.status() });
    expect(ready.doctor).toMatchObject({ state: 'done', counts: { ok: expect.any(Number) } });
    await database.query('ALTER TABLE drizzle.__drizzle_migrations RENAME TO __drizzle_migrations_away');
    try {
      const notReady = await fetch(`${bot.server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        status: 'not ready',
        reason: 'database migrations are not all applied',
        doctor: bot.doctor.status(),
      });
    } finally {
      await database.query('ALTER TABLE drizzle.__drizzle_migrations_away RENAME TO __drizzle_migrations');
    }
  });
});
