import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { parseConfig } from '../../app/config/loadConfig.ts';
import { SlackUserGroupsSource } from '../../handlers/directory/sources/slackSource.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';

const sim = new SlackSimulator();
let fixture: Fixture;
let database: TestDatabase;
let app: App;

function workspace(): void {
  sim.users.clear();
  sim.usergroups.clear();
  sim
    .addUser({ id: 'U0ADA00001', name: 'ada', realName: 'Ada Lovelace', email: 'Ada@Example.com' })
    .addUser({ id: 'U0GRACE001', name: 'grace', realName: 'Grace Hopper', email: 'grace@example.com' })
    .addUser({ id: 'U0LINUS001', name: 'linus', email: 'linus@example.com' })
    .addUser({ id: 'U0BOT00001', name: 'deploybot', isBot: true })
    .addUser({ id: 'U0GUEST001', name: 'guest' })
    .addUserGroup({ id: 'S01', handle: 'data-platform', name: 'Data platform', users: ['U0ADA00001'] })
    .addUserGroup({
      id: 'S02',
      handle: 'team-x-oncall',
      name: 'Team X on-call',
      users: ['U0GRACE001', 'U0BOT00001'],
    })
    .addUserGroup({
      id: 'S03',
      handle: 'engineering',
      name: 'Engineering',
      users: ['U0ADA00001', 'U0GRACE001', 'U0LINUS001', 'U0GUEST001'],
    })
    .addUserGroup({ id: 'S04', handle: 'old-team', name: 'Old', users: ['U0LINUS001'], disabled: true });
}

const source = (handles?: string[]) =>
  SlackUserGroupsSource.fromConfig(
    parseConfig(
      {
        directory: {
          sources: [{ name: 'slack', type: 'slack', apiUrl: sim.apiUrl, ...(handles ? { handles } : {}) }],
        },
      },
      'test',
    ).directory.sources[0] as Parameters<typeof SlackUserGroupsSource.fromConfig>[0],
    { configDir: '.', env: { SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN }, log: pino({ level: 'silent' }) },
  );

beforeAll(async () => {
  await sim.start();
  sim.pageSize = 2;
  workspace();
  fixture = createFixture({
    config: {
      slack: { apiUrl: sim.apiUrl },
      jobs: { pollInterval: '500ms' },
      // Hourly: the test does not wait for a tick; a source that never synced is synced at start.
      directory: { sources: [{ name: 'slack', type: 'slack', schedule: '0 * * * *', removalAllowance: 10 }] },
    },
    policies: {
      'platform.yaml': {
        grants: [
          { group: 'slack:data-platform', actions: ['*'] },
          { group: 'slack:engineering', actions: standardPolicies.grants[1]?.actions ?? [] },
        ],
      },
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, {
    env: { SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN },
    runWorkers: true,
  });
});

afterAll(async () => {
  await app.close();
  await database.drop();
  await sim.stop();
  fixture.remove();
});

async function run(text: string, email: string) {
  const responder = recordingResponder();
  const outcome = await app.pipeline.handleText({ entry: 'console', text, caller: { email }, responder });
  return {
    outcome,
    text: responder.sent.map((s) => [s.message.text, ...s.updates.map((u) => u.text)].join('\n')).join('\n'),
  };
}

describe('Slack user groups as a directory source', () => {
  it('reads every page of users and every enabled group, by e-mail, leaving bots out', async () => {
    // The app's own first sync reads the same simulator in the background: let it finish first.
    await eventually(async () =>
      expect(
        (await database.query("SELECT 1 FROM directory_sync_runs WHERE source = 'slack'")).rowCount,
      ).toBe(1),
    );
    const before = sim.requests.length;
    const snapshot = await source().fetch(AbortSignal.timeout(10_000));
    expect(snapshot.groups.map((g) => [g.id, g.members])).toEqual([
      ['data-platform', ['ada@example.com']],
      ['team-x-oncall', ['grace@example.com']],
      ['engineering', ['ada@example.com', 'grace@example.com', 'linus@example.com']],
    ]);
    expect(snapshot.users.map((u) => [u.email, u.slackUserId, u.active])).toEqual([
      ['ada@example.com', 'U0ADA00001', true],
      ['grace@example.com', 'U0GRACE001', true],
      ['linus@example.com', 'U0LINUS001', true],
    ]);
    expect(snapshot.notes).toEqual(['@engineering: member U0GUEST001 has no e-mail address dpbot can see']);
    // Three users.list pages of two.
    expect(sim.requests.slice(before).filter((r) => r.path === '/api/users.list')).toHaveLength(3);
  });

  it('keeps to the configured handles', async () => {
    const snapshot = await source(['team-x-oncall']).fetch(AbortSignal.timeout(10_000));
    expect(snapshot.groups.map((g) => g.id)).toEqual(['team-x-oncall']);
  });

  it('waits out a 429 and succeeds', async () => {
    sim.inject({ path: /users\.list$/, status: 429, headers: { 'retry-after': '1' }, times: 1 });
    const snapshot = await source().fetch(AbortSignal.timeout(20_000));
    expect(snapshot.groups).toHaveLength(3);
  });

  it('refuses an answer whose member list is shorter than the group says', async () => {
    const group = sim.usergroups.get('S03');
    if (group) group.userCount = 9;
    try {
      await expect(source().fetch(AbortSignal.timeout(10_000))).rejects.toThrow(
        'Slack: incomplete answer: user group @engineering lists 4 of its 9 members',
      );
    } finally {
      if (group) delete group.userCount;
    }
  });

  it('is synced at start when it never was, without waiting for its schedule', async () => {
    await eventually(async () => {
      const runs = await database.query(
        "SELECT trigger, status FROM directory_sync_runs WHERE source = 'slack'",
      );
      expect(runs.rows).toContainEqual({ trigger: 'schedule', status: 'applied' });
    }, 20_000);
  });

  it('syncs through access sync, and a deactivated Slack account loses access at the next command', async () => {
    // Slack is the only source: nobody is known before the app's own first sync has applied.
    await eventually(async () => {
      const runs = await database.query("SELECT status FROM directory_sync_runs WHERE source = 'slack'");
      expect(runs.rows).toContainEqual({ status: 'applied' });
    }, 20_000);
    const first = await run('access sync slack', 'ada@example.com');
    expect(first.outcome).toBe('ok');
    expect((await run('whoami', 'linus@example.com')).outcome).toBe('ok');
    const linus = sim.users.get('U0LINUS001');
    if (linus) linus.deleted = true;
    const second = await run('access sync slack', 'ada@example.com');
    expect(second.outcome).toBe('ok');
    const denied = await run('whoami', 'linus@example.com');
    expect(denied.outcome).toBe('denied');
    expect(denied.text).toContain('no longer active');
    const user = await database.query(
      "SELECT u.slack_user_id, s.active FROM users u JOIN user_sources s ON s.user_id = u.id WHERE u.email = 'linus@example.com'",
    );
    expect(user.rows).toEqual([{ slack_user_id: 'U0LINUS001', active: false }]);
  });

  it('without a token, start-up says which variable to set', () => {
    expect(() =>
      SlackUserGroupsSource.fromConfig(
        parseConfig({ directory: { sources: [{ name: 'slack', type: 'slack' }] } }, 'test').directory
          .sources[0] as Parameters<typeof SlackUserGroupsSource.fromConfig>[0],
        { configDir: '.', env: {}, log: pino({ level: 'silent' }) },
      ),
    ).toThrow(/SLACK_BOT_TOKEN: directory source "slack" needs a Slack bot token/);
  });
});
