import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// `npm start` with Slack credentials, no dpbot.yaml and no --admin: the first person to run a
// command becomes the installer. Two replicas on one database, then a restart.
const NIA = 'U0NEWCOMER';
const OMAR = 'U0OTHER001';
const MALLORY = 'U0MALLORY1';

describe('the first person to run a command in a Slack sandbox becomes its installer', () => {
  const sim = slackWithPeople()
    .addUser({ id: NIA, name: 'nia', email: 'nia@company.test' })
    .addUser({ id: OMAR, name: 'omar', email: 'omar@company.test' });
  const loaded = loadConfig({ path: exampleConfigPath(), env: {} });
  let database: TestDatabase;
  const bots: RunningBot[] = [];
  const lines: Record<string, unknown>[] = [];
  const serve = async (log?: Record<string, unknown>[]) => {
    const bot = await serveSandboxSlack({ loaded, sim, database, ...(log ? { lines: log } : {}) });
    bots.push(bot);
    return { bot, slack: new FakeSlack(bot.server.url, sim) };
  };
  let a: { bot: RunningBot; slack: FakeSlack };
  let b: { bot: RunningBot; slack: FakeSlack };

  beforeAll(async () => {
    await sim.start();
    database = await createTestDatabase();
    a = await serve(lines);
    b = await serve();
  });
  afterAll(async () => {
    for (const bot of bots) await bot.stop();
    await database?.drop();
    await sim.stop();
  });

  let installer: string;
  let other: string;

  it('says at start that whoever comes first becomes the installer', () => {
    expect(lines.map((l) => l.msg)).toContain(
      'sandbox: no --admin <email>, so the first person in this Slack workspace to run a command becomes the installer, with the data-platform grants',
    );
  });

  it('makes exactly one of two people who arrive at once, on two replicas, the installer', async () => {
    // An admin command: scaling a team takes the data-platform grants.
    const [first, second] = await Promise.all([
      a.slack.slash('scale team-x 3 --reason "trying dpbot"', NIA),
      b.slack.slash('scale team-x 5 --reason "me too"', OMAR),
    ]);
    const answers = [first, second].map((r) => String(r.ack?.text));
    const won = answers.filter((t) => t.includes('you are its installer'));
    expect(won).toHaveLength(1);
    const winner = answers[0]?.includes('you are its installer') ? 0 : 1;
    installer = winner === 0 ? 'nia@company.test' : 'omar@company.test';
    other = winner === 0 ? 'omar@company.test' : 'nia@company.test';
    expect(won[0]).toBe(
      `You are the first to use dpbot in this sandbox, so you are its installer: dpbot added ${installer} to file:data-platform and file:engineering, which hold the data-platform grants on the simulated systems. Everyone after you is told they are not in dpbot's directory.`,
    );
    expect(answers[1 - winner]).toBe(
      `Not allowed: ${other} is not in dpbot's directory, so it cannot tell what you may do. Ask #data-platform (the data-platform team) to add you to a group that has access.`,
    );
    // The installer's command ran with the grants it just got.
    await eventually(
      () =>
        expect(
          sim
            .messagesIn('C0OPS00001')
            .some((m) =>
              String(m.text).startsWith(
                `<@${installer === 'nia@company.test' ? NIA : OMAR}> scaled team-x/workers`,
              ),
            ),
        ).toBe(true),
      15_000,
    );
  });

  it('records the installer in the audit log', async () => {
    const rows = await database.query<{ email: string; outcome: string; detail: { groups: string[] } }>(
      "SELECT email, outcome, detail FROM audit_log WHERE command = 'sandbox installer'",
    );
    expect(rows.rows).toEqual([
      {
        email: installer,
        outcome: 'installed',
        detail: { groups: ['file:data-platform', 'file:engineering'] },
      },
    ]);
  });

  it('treats everyone after the installer as usual', async () => {
    const late = await b.slack.slash('whoami', MALLORY);
    expect(late.ack?.text).toBe(
      "Not allowed: mallory@example.com is not in dpbot's directory, so it cannot tell what you may do. Ask #data-platform (the data-platform team) to add you to a group that has access.",
    );
    const id = installer === 'nia@company.test' ? OMAR : NIA;
    const again = await a.slack.slash('whoami', id);
    expect(again.ack?.text).toContain(`${other} is not in dpbot's directory`);
  });

  it('keeps the installer through a directory sync on the other replica and a restart', async () => {
    const id = installer === 'nia@company.test' ? NIA : OMAR;
    const synced = await b.slack.slash('access sync file', id);
    // The file alone does not name the installer; the sync of it finds nothing to change.
    await eventually(
      () =>
        expect(b.slack.responses(synced.responseId).map((r) => String(r.text))).toContain(
          'Directory sync\nfile: no change — users +0 ~0 -0, groups +0 ~0 -0, memberships +0 -0\n  permissions: no change',
        ),
      15_000,
    );
    const afterSync = await b.slack.slash('whoami', id);
    await eventually(() => expect(b.slack.responses(afterSync.responseId)).toHaveLength(1));
    expect(String(b.slack.responses(afterSync.responseId)[0]?.text)).toContain('file:data-platform');
    await a.bot.stop();
    bots.splice(bots.indexOf(a.bot), 1);
    const restartLines: Record<string, unknown>[] = [];
    const c = await serve(restartLines);
    expect(restartLines.map((l) => l.msg)).toContain(`sandbox: the installer is ${installer}`);
    const whoami = await c.slack.slash('whoami', id);
    await eventually(() => expect(c.slack.responses(whoami.responseId)).toHaveLength(1));
    const text = String(c.slack.responses(whoami.responseId)[0]?.text);
    expect(text).toContain('file:data-platform');
    expect(text).not.toContain('installer');
  });
});
