import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPolicies } from '../../app/app.ts';
import { loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import { syncDirectorySources } from '../../handlers/directory/syncRunner.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

const GRACE = 'U0GRACE001';
const oncallGrant = {
  grants: [
    {
      group: 'file:team-x-oncall',
      actions: ['workers.scale'],
      resources: ['team:team-x'],
      limits: { maxReplicas: 9 },
    },
  ],
};

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
/** Two replicas on one database, each with its own pool and its own callers in memory. */
let one: RunningBot;
let other: RunningBot;
let toOther: FakeSlack;
const fixtures = fixtureCommands();

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({
    config: { slack: { apiUrl: sim.apiUrl } },
    policies: { 'platform.yaml': standardPolicies, 'oncall.yaml': oncallGrant },
  });
  database = await createTestDatabase();
  one = await startSlackBot(fixture, database, { extraCommands: fixtures.commands });
  other = await startSlackBot(fixture, database, { extraCommands: fixtures.commands });
  toOther = new FakeSlack(other.server.url, sim);
}, 60_000);

afterAll(async () => {
  await one?.stop();
  await other?.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

/** Grace drains team-x to `size` through the other replica: the run, or the denial it was answered with. */
async function graceDrains(size: number): Promise<{ ran: boolean; denial: string | undefined }> {
  const r = await toOther.slash(`drain team-x --size ${size}`, GRACE);
  expect(r.status).toBe(200);
  const ran = `team-x:${size}:grace@example.com`;
  if (r.ack?.text) return { ran: fixtures.runs.includes(ran), denial: r.ack.text };
  await eventually(() => expect(fixtures.runs).toContain(ran));
  return { ran: true, denial: undefined };
}

/** The directory file changed and synced by the first replica, as its schedule or `access sync` would. */
async function syncThroughOne(directory: object): Promise<void> {
  fixture.write('directory.yaml', directory);
  const [result] = await syncDirectorySources(one.app.services, { trigger: 'cli' });
  expect(result?.status).toBe('applied');
}

const withoutGraceOnCall = {
  ...standardDirectory,
  groups: standardDirectory.groups.map((g) =>
    g.id === 'team-x-oncall' ? { ...g, members: ['linus@example.com'] } : g,
  ),
};

// The replicas exchange no message: the only thing they share is the database, so a removal must
// be effective on the other's next request whatever a notification would have done.
describe('callers kept in memory are never used after their access changed, on any replica', () => {
  it('a membership removed by a sync on one replica: the other refuses the next request', async () => {
    expect(await graceDrains(2)).toEqual({ ran: true, denial: undefined });
    // Kept in memory now; a second request is served from it.
    expect(await graceDrains(3)).toEqual({ ran: true, denial: undefined });

    await syncThroughOne(withoutGraceOnCall);
    const after = await graceDrains(4);
    expect(after.ran).toBe(false);
    expect(after.denial).toContain('needs the workers.scale action on team:team-x');
    const rows = await database.query(
      "SELECT decision FROM audit_log WHERE command_text = 'drain team-x --size 4' AND kind = 'attempt'",
    );
    expect(rows.rows).toEqual([{ decision: 'deny' }]);

    await syncThroughOne(standardDirectory);
    expect(await graceDrains(5)).toEqual({ ran: true, denial: undefined });
  });

  it('a grant withdrawn by a policy reload on one replica: the other refuses the next request', async () => {
    expect(await graceDrains(6)).toEqual({ ran: true, denial: undefined });
    fixture.write('policies/oncall.yaml', { grants: [] });
    const loaded = loadConfig({ path: fixture.configPath, env: {} });
    expect((await applyPolicies(one.app.services, loaded)).changed).toBe(true);
    const after = await graceDrains(7);
    expect(after.ran).toBe(false);
    expect(after.denial).toContain('needs the workers.scale action on team:team-x');

    fixture.write('policies/oncall.yaml', oncallGrant);
    await applyPolicies(one.app.services, loaded);
    expect(await graceDrains(8)).toEqual({ ran: true, denial: undefined });
  });

  it('a person deactivated in the directory on one replica: the other refuses the next request', async () => {
    expect(await graceDrains(9)).toEqual({ ran: true, denial: undefined });
    await syncThroughOne({
      ...standardDirectory,
      users: standardDirectory.users.map((u) =>
        u.email === 'grace@example.com' ? { ...u, active: false } : u,
      ),
    });
    const r = await toOther.slash('drain team-x --size 1', GRACE);
    expect(r.ack?.text).toContain('grace@example.com is no longer active in the company directory');
    expect(fixtures.runs).not.toContain('team-x:1:grace@example.com');
  });
});
