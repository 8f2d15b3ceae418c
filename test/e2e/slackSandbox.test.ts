import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// A newcomer's first step with a real workspace: Slack credentials, no dpbot.yaml (so the example
// configuration, sandbox: true), and --admin naming the installer.
const NEWCOMER = 'U0NEWCOMER';
const STRANGER = 'U0MALLORY1';

describe('Slack in front of the sandbox (sandbox: true with Slack credentials)', () => {
  const sim = slackWithPeople().addUser({
    id: NEWCOMER,
    name: 'nia',
    realName: 'Nia Newcomer',
    email: 'Nia@Company.test',
  });
  let database: TestDatabase;
  let bot: RunningBot;
  let slack: FakeSlack;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    await sim.start();
    database = await createTestDatabase();
    const loaded = loadConfig({ env: {}, cwd: '/nonexistent-so-the-example-is-used' });
    expect(loaded.path).toBe(exampleConfigPath());
    bot = await serveSandboxSlack({ loaded, sim, database, lines, admin: 'nia@company.test' });
    slack = new FakeSlack(bot.server.url, sim);
  });
  afterAll(async () => {
    await bot?.stop();
    await database?.drop();
    await sim.stop();
  });

  it('says first that changes go to simulated systems, and which', () => {
    expect(lines[0]?.msg).toBe(
      'sandbox: changes go to simulated systems (Kubernetes, Argo Workflows, Argo CD, GitHub, Jira, dataset catalog, directory (Google Workspace, GitHub teams) on 127.0.0.1), not to real ones',
    );
  });

  it('gives the installer the data-platform grants, and help says it is the sandbox', async () => {
    const help = await slack.slash('help', NEWCOMER);
    expect(help.status).toBe(200);
    await eventually(() => expect(slack.responses(help.responseId)).toHaveLength(1));
    const [reply] = slack.responses(help.responseId);
    expect(String(reply?.text).split('\n')[0]).toContain('sandbox: changes go to simulated systems');
    // Escaped on the wire, so that Slack shows the brackets instead of reading them as markup.
    expect(String(reply?.text)).toContain('scale &lt;team&gt; &lt;replicas&gt;');

    const whoami = await slack.slash('whoami', NEWCOMER);
    await eventually(() => expect(slack.responses(whoami.responseId)).toHaveLength(1));
    expect(String(slack.responses(whoami.responseId)[0]?.text)).toContain('file:data-platform');
  });

  it('scales a simulated team for the installer, and announces it in the channel', async () => {
    const before = sim.messagesIn('C0OPS00001').length;
    const scaled = await slack.slash('scale team-x 3 --reason "trying dpbot"', NEWCOMER);
    expect(scaled.status).toBe(200);
    await eventually(() => expect(sim.messagesIn('C0OPS00001').length).toBeGreaterThan(before), 15_000);
    expect(sim.messagesIn('C0OPS00001').at(-1)?.text).toContain('team-x');
  });

  it('turns away a workspace member who is in neither the sandbox directory nor --admin', async () => {
    const denied = await slack.slash('scale team-x 2', STRANGER);
    // Refused in the acknowledgement itself: nothing ran, nothing follows.
    expect(denied.ack?.text).toBe(
      "Not allowed: mallory@example.com is not in dpbot's directory, so it cannot tell what you may do. Ask #data-platform (the data-platform team) to add you to a group that has access.",
    );
  });
});
