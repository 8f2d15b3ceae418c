import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { checkMessage, checkView } from '../../sandbox/slack/blockKitLimits.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// App Home and whoami for a person in 80 groups with a grant through each (issue 15, item 2),
// through signed Slack requests to the serving process: both stay within Slack's limits, show
// the first groups and grants, count the rest and say how to see them.

const ADA = 'U0ADA00001';
const GROUPS = 80;
const groupName = (i: number) =>
  `data-platform-${String(i).padStart(2, '0')}-analytics-engineering-oncall-emea`;

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  const groups = Array.from({ length: GROUPS }, (_, g) => ({
    id: groupName(g),
    members: ['ada@example.com'],
  }));
  fixture = createFixture({
    config: { slack: { apiUrl: sim.apiUrl, updateInterval: '300ms' } },
    directory: { ...standardDirectory, groups: [...standardDirectory.groups, ...groups] },
    policies: {
      'platform.yaml': standardPolicies,
      'many.yaml': {
        grants: groups.map((g, i) => ({
          group: `file:${g.id}`,
          actions: ['workers.read', 'datasets.read'],
          resources: [`team:team-${i}`, `dataset:analytics-${i}-*`],
        })),
      },
    },
  });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database);
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('App Home for a person in 80 groups', () => {
  it('publishes a Home tab within the limits: the first groups and grants, and whoami for the rest', async () => {
    // Recent commands with the longest text the audit log keeps.
    const long = `help ${'x'.repeat(3_900)}`;
    for (let i = 0; i < 3; i++) await slack.slash(long, ADA);
    expect(
      (await slack.event({ type: 'app_home_opened', user: ADA, channel: 'D0ADA', tab: 'home' })).status,
    ).toBe(200);
    await eventually(() => expect(sim.publishedViews.get(ADA)).toBeDefined());
    const view = sim.publishedViews.get(ADA);
    expect(checkView(view)).toEqual([]);
    const home = JSON.stringify(view);
    expect(home).toContain('Ada Lovelace');
    expect(home).toContain(`file:${groupName(0)}`);
    expect(home).not.toContain(`file:${groupName(GROUPS - 1)}`);
    expect(home).toMatch(/ and \d+ more \(`\/dp whoami` lists them\)/);
    // 82 grants: the platform's two and one per group; 15 are shown.
    expect(home).toContain('and 67 more grant(s): `/dp whoami` lists them all');
    expect(home).toContain('Your recent commands');
    expect(home).toContain(`help ${'x'.repeat(100)}`);
    expect(home).not.toContain('list cut short');
  });

  it('whoami for the same person lists all 80 groups and a page of grants, within the limits', async () => {
    const r = await slack.slash('whoami', ADA);
    await eventually(() => expect(slack.responses(r.responseId)).toHaveLength(1));
    const [reply] = slack.responses(r.responseId);
    expect(checkMessage(reply ?? {})).toEqual([]);
    const shown = JSON.stringify(reply?.blocks);
    expect(shown).toContain(`file:${groupName(GROUPS - 1)}`);
    expect(shown).toContain('and 42 more: `whoami page=2`');
    expect(JSON.stringify(reply)).toContain('"value":"whoami page=2"');
  });
});
