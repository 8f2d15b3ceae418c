import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// Deploy freezes through Slack: signed slash commands to the sandbox (the example configuration,
// every system simulated), as people type them in #releases.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const LINUS = 'U0LINUS001';
const RELEASES = 'C0RELEASES';

let sim: SlackSimulator;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople().addChannel({ id: RELEASES, name: 'releases', botMember: true });
  await sim.start();
  database = await createTestDatabase();
  bot = await serveSandboxSlack({
    loaded: loadConfig({ path: exampleConfigPath(), env: {} }),
    sim,
    database,
  });
  await bot.doctor.done;
  slack = new FakeSlack(bot.server.url, sim);
}, 60_000);
afterAll(async () => {
  await bot?.stop();
  await database?.drop();
  await sim?.stop();
});

async function slash(text: string, user: string) {
  const sent = await slack.slash(text, user, RELEASES);
  expect(sent.status).toBe(200);
  // A quick refusal comes back as the acknowledgement itself; the rest through response_url.
  return eventually(() => {
    const answers = [...(sent.ack?.text ? [sent.ack] : []), ...slack.responses(sent.responseId)];
    expect(answers.length).toBeGreaterThan(0);
    return answers;
  }, 15_000);
}
const said = (answers: { text?: unknown; blocks?: unknown }[]) =>
  answers.map((a) => `${String(a.text)} ${JSON.stringify(a.blocks ?? [])}`).join('\n');

describe('deploy freezes, through Slack', () => {
  it('freezes, refuses a ship without a reason, asks with one, and unfreezes, all audited', async () => {
    const missing = said(await slash('freeze orders-api until 2h', ADA));
    expect(missing).toContain('say why with --reason');

    // Said in the channel, for the team to see.
    const sent = await slack.slash(
      'freeze orders-api until 2h --reason "INC-7 under investigation"',
      ADA,
      RELEASES,
    );
    expect(sent.status).toBe(200);
    await eventually(() =>
      expect(sim.messagesIn(RELEASES).map((m) => m.text)).toEqual([
        expect.stringMatching(
          /froze deploys of orders-api until .* \(freeze #1\): INC-7 under investigation/,
        ),
      ]),
    );

    await slash('release start --since 14d', ADA);
    await slash('release include orders-api', GRACE);
    await slash('release skip ingest --reason "not this week"', GRACE);
    await slash('release include catalog', LINUS);

    // Ada holds release.ship.frozen (data-platform has every action): she is asked for a reason.
    const noReason = said(await slash('release ship', ADA));
    expect(noReason).toContain('Deploys of orders-api frozen (freeze #1) by ada@example.com');
    expect(noReason).toContain('add --reason');
    const question = said(await slash('release ship --reason "the fix for INC-7"', ADA));
    expect(question).toContain('Please confirm');
    expect(question).toContain('the fix for INC-7');

    expect((await slack.slash('unfreeze', ADA, RELEASES)).status).toBe(200);
    await eventually(() =>
      expect(
        sim.messagesIn(RELEASES).some((m) => /lifted freeze #1 at .*Deploys may go ahead\./.test(m.text)),
      ).toBe(true),
    );
    const rows = await database.query<{ outcome: string; email: string }>(
      "SELECT outcome, email FROM audit_log WHERE outcome IN ('frozen', 'unfrozen') ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { outcome: 'frozen', email: 'ada@example.com' },
      { outcome: 'unfrozen', email: 'ada@example.com' },
    ]);
    const stored = await database.query('SELECT lifted_by FROM freezes');
    expect(stored.rows).toEqual([{ lifted_by: 'ada@example.com' }]);
  });
});
