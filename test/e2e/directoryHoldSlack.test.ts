import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { VIEW_ACTION } from '../../pipeline/views/common.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// Issue 32 item 5, over signed Slack requests: a directory sync that removes too much is held,
// its request appears in the admin channel with the permission diff, and Approve applies it.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const ADMIN = 'C0ADMIN001';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople().addChannel({ id: ADMIN, name: 'dpbot-admin', botMember: true });
  await sim.start();
  fixture = createFixture({
    config: {
      slack: { apiUrl: sim.apiUrl, channels: { admin: '#dpbot-admin' } },
      directory: {
        sources: [
          { name: 'file', type: 'file', path: 'directory.yaml', schedule: 'off', removalAllowance: 0 },
        ],
      },
    },
    policies: {
      'platform.yaml': standardPolicies,
      'approvers.yaml': {
        grants: [
          { group: 'file:team-x-oncall', actions: ['access.approve-removal'], resources: ['directory:*'] },
        ],
      },
    },
  });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database);
  slack = new FakeSlack(bot.server.url, sim);
}, 60_000);

afterAll(async () => {
  await bot.stop({ drainMs: 0 });
  await sim.stop();
  await database.drop();
  fixture.remove();
});

const memberships = async () =>
  (await database.query<{ n: number }>('SELECT count(*)::int AS n FROM memberships')).rows[0]?.n;

describe('a held directory sync in Slack', () => {
  it('posts the diff with Approve / Deny to the admin channel, and Approve by another admin applies it', async () => {
    expect(await memberships()).toBe(5);
    fixture.write('directory.yaml', {
      ...standardDirectory,
      groups: standardDirectory.groups.map((g) =>
        g.id === 'engineering' ? { ...g, members: ['ada@example.com'] } : g,
      ),
    });
    const asked = await slack.slash('access sync file', ADA);
    expect(asked.status).toBe(200);
    const request = await eventually(async () => {
      const found = sim.messages.find((m) => m.channel === ADMIN && m.text.includes('held for approval'));
      expect(found).toBeDefined();
      return found;
    });
    expect(request?.text).toContain('permissions: 0 people gain 0, 2 people lose 2');
    expect(request?.text).toContain('- linus@example.com loses access.read on * (via file:engineering)');
    const approve = JSON.stringify(request?.blocks).match(/access approve file [0-9a-f-]{36}/)?.[0] ?? '';
    expect(approve).not.toBe('');
    expect(await memberships()).toBe(5);

    await slack.click({
      user: GRACE,
      actionId: VIEW_ACTION,
      value: approve,
      channel: ADMIN,
      messageTs: request?.ts ?? '',
    });
    await eventually(async () => expect(await memberships()).toBe(3));
    await eventually(async () => {
      const now = sim.messages.find((m) => m.channel === ADMIN && m.ts === request?.ts);
      expect(now?.text).toBe('Directory sync of file: approved by grace@example.com and applied');
    });
    const audit = await database.query(
      "SELECT email, action, outcome FROM audit_log WHERE action = 'access.approve-removal' AND kind = 'attempt'",
    );
    expect(audit.rows).toEqual([
      { email: 'grace@example.com', action: 'access.approve-removal', outcome: null },
    ]);
  });
});
