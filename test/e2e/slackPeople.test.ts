import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// People as Slack users see them: named, mentioned, and found in the audit log whether or not
// the directory knows them. Signed requests into dpbot in front of the Slack simulator.

const ADA = 'U0ADA00001';
const EVE = 'U0EVE00001';
const NOMAIL = 'U0NOMAIL01';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  // Eve has a Slack account and an e-mail, but the directory does not know her.
  sim = slackWithPeople().addUser({
    id: EVE,
    name: 'eve',
    realName: 'Eve Outsider',
    email: 'eve@elsewhere.test',
  });
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database);
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot?.stop();
  await sim?.stop();
  await database?.drop();
  fixture?.remove();
});

/** `/dp <text>` as `user`; the first message back through the response_url. */
async function ask(text: string, user = ADA): Promise<{ text: string; blocks: string }> {
  const sent = await slack.slash(text, user);
  expect(sent.status).toBe(200);
  let reply: Record<string, unknown> | undefined;
  await eventually(() => {
    reply = slack.responses(sent.responseId)[0];
    expect(reply).toBeDefined();
  }, 15_000);
  return { text: String(reply?.text), blocks: JSON.stringify(reply?.blocks ?? []) };
}

describe('people by name', () => {
  it('whoami, App Home and the audit listing name people, not their e-mail twice', async () => {
    const me = await ask('whoami');
    expect(me.text.split('\n')[0]).toBe('You are Ada Lovelace (ada@example.com).');
    expect(me.blocks).toContain('You are *Ada Lovelace (ada@example.com)*.');
    await slack.event({ type: 'app_home_opened', user: ADA, channel: 'D0ADA00001', tab: 'home' });
    await eventually(() => expect(sim.publishedViews.get(ADA)).toBeDefined());
    expect(JSON.stringify(sim.publishedViews.get(ADA))).toContain(
      'You are *Ada Lovelace (ada@example.com)*.',
    );
    const listed = await ask('audit me');
    expect(listed.text).toContain(' · Ada Lovelace (ada@example.com) · whoami · attempt allow');
  });
});

describe('people outside the directory', () => {
  it('are recorded with what Slack told, and found by mention, user id, @name or name', async () => {
    // Refused in the acknowledgement: dpbot does not know who they are.
    expect((await slack.slash('whoami', EVE)).ack?.text).toContain("is not in dpbot's directory");
    expect((await slack.slash('whoami', NOMAIL)).ack?.text).toContain('users:read.email');
    const rows = await database.query(
      "SELECT slack_user_id, slack_name, email FROM audit_log WHERE kind = 'attempt' AND decision = 'deny' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { slack_user_id: EVE, slack_name: 'Eve Outsider', email: 'eve@elsewhere.test' },
      { slack_user_id: NOMAIL, slack_name: 'nomail', email: null },
    ]);

    for (const form of [EVE, `<@${EVE}>`, `<@${EVE}|eve>`, 'eve', '@eve', 'Eve', 'eve@elsewhere.test']) {
      const listed = await ask(`audit ${form}`);
      expect(listed.text, form).toContain('1 record(s)');
      expect(listed.text, form).toContain('· whoami · attempt deny');
    }
    // Named as Slack names them.
    expect((await ask(`audit ${EVE}`)).text).toContain(' · Eve Outsider (eve@elsewhere.test) · whoami');
    const nomail = await ask(`audit ${NOMAIL}`);
    expect(nomail.text).toContain(' · nomail (U0NOMAIL01) · whoami');
    expect(nomail.text).toContain('1 record(s)');
    expect((await ask('audit nomail')).text).toContain('1 record(s)');
    // Someone nobody has heard of is still refused with what to give.
    expect((await ask('audit zed')).text).toContain('cannot tell what "zed" filters by');
    // The chain still verifies with the Slack name in its rows.
    expect((await bot.app.services.audit.verify()).ok).toBe(true);
  });
});
