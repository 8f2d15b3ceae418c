import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import type { Message } from '../../pipeline/message.ts';
import { checkMessage } from '../../sandbox/slack/blockKitLimits.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';

// Big, realistic data through the views people read (issue 15, item 2): each must stay within
// Slack's limits by design, show the first items, count the rest and say how to get them.

const ADA = 'ada@example.com';

/** What Slack would refuse, as the simulator checks it; a view that breaks none returns []. */
const limitsOf = (m: Message) => checkMessage(slackPayload(m));

const blocksText = (m: Message) => JSON.stringify(m.blocks);

function buttonsOf(m: Message): { text: string; value: string }[] {
  return (m.blocks ?? []).flatMap((b: KnownBlock) =>
    b.type === 'actions'
      ? b.elements.flatMap((e) =>
          e.type === 'button' && e.value ? [{ text: e.text.text, value: e.value }] : [],
        )
      : [],
  );
}

async function say(app: App, text: string, entry: 'console' | 'button' = 'console') {
  const { outcome, responder } = await typeCommand(app, text, { email: ADA, entry });
  const message = responder.sent.at(-1)?.message;
  if (!message) throw new Error(`"${text}" sent nothing (${outcome})`);
  return { outcome, message };
}

describe('an audit listing of 1,000 rows', () => {
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;
  const long = 'x'.repeat(3_900);
  beforeAll(async () => {
    fixture = createFixture();
    database = await createTestDatabase();
    app = await startTestApp(fixture, database);
    // Oldest first, so row i is the i-th newest from the end; every tenth carries a command text
    // near the 4,000 characters the log keeps, and an error.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => {
          const i = batch * 100 + j;
          return app.services.audit.append({
            requestId: `big-${i}`,
            kind: i % 2 ? 'outcome' : 'attempt',
            entry: 'console',
            email: `person-${i}@example.com`,
            command: 'scale',
            commandText: i % 10 === 0 ? `scale team-x 4 --reason "${long}"` : `scale team-x ${i % 20}`,
            action: 'workers.scale',
            resource: 'team:team-x',
            ...(i % 2 ? { outcome: 'failed', error: 'e'.repeat(500) } : { decision: 'allow' as const }),
          });
        }),
      );
    }
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    fixture.remove();
  });

  it('shows a page of the newest, how many there are, and Next / Previous to the others', async () => {
    const first = await say(app, 'audit workers.scale');
    expect(first.outcome).toBe('ok');
    expect(limitsOf(first.message)).toEqual([]);
    expect(first.message.text).toMatch(
      /^Audit log \(action workers\.scale\): 1000 record\(s\) · newest first, 1–20 · page 1 of 50\n/,
    );
    const lines = first.message.text.split('\n');
    expect(lines).toHaveLength(22);
    expect(lines[1]).toContain('person-999@example.com');
    expect(lines[20]).toContain('person-980@example.com');
    expect(lines[21]).toBe('980 older record(s): audit action=workers.scale page=2');
    expect(blocksText(first.message)).toContain('980 older: `audit action=workers.scale page=2`');
    expect(buttonsOf(first.message)).toEqual([
      { text: 'Next ›', value: 'audit action=workers.scale page=2' },
    ]);

    const second = await say(app, 'audit action=workers.scale page=2', 'button');
    expect(limitsOf(second.message)).toEqual([]);
    expect(second.message.text).toContain('21–40 · page 2 of 50');
    expect(second.message.text).toContain('person-979@example.com');
    expect(buttonsOf(second.message).map((b) => b.value)).toEqual([
      'audit action=workers.scale page=1',
      'audit action=workers.scale page=3',
    ]);
  });

  it('fits the largest page of the longest rows in one message, and ends on the last page', async () => {
    const big = await say(app, 'audit workers.scale limit=50');
    expect(limitsOf(big.message)).toEqual([]);
    expect(big.message.text).toContain('1–50 · page 1 of 20');
    // The 4,000-character command texts are cut in the listing, not the record.
    expect(big.message.text).toContain(`scale team-x 4 --reason "${'x'.repeat(100)}`);
    expect(big.message.text).not.toContain(long);
    expect(big.message.text).toContain('950 older record(s): audit action=workers.scale limit=50 page=2');

    const last = await say(app, 'audit workers.scale limit=50 page=20');
    expect(limitsOf(last.message)).toEqual([]);
    expect(last.message.text).toContain('951–1000 · page 20 of 20');
    expect(last.message.text).toContain('person-0@example.com');
    expect(last.message.text).not.toContain('older record(s)');
    expect(buttonsOf(last.message)).toEqual([
      { text: '‹ Previous', value: 'audit action=workers.scale limit=50 page=19' },
    ]);

    // The same filter twice is one filter.
    const twice = await say(app, 'audit workers.scale action=workers.scale');
    expect(twice.outcome).toBe('ok');
    expect(twice.message.text).toContain('Audit log (action workers.scale): 1000 record(s)');

    // Past the end (a typo, or a Next button on a list that has since shrunk) shows the last page.
    const past = await say(app, 'audit workers.scale page=51');
    expect(past.outcome).toBe('ok');
    expect(limitsOf(past.message)).toEqual([]);
    expect(past.message.text).toContain('page 50 of 50 (there is no page 51; this is the last)');
    const stale = await say(app, 'audit action=workers.scale page=51', 'button');
    expect(stale.message.text).toContain('page 50 of 50');
  });
});

const GROUPS = 80;
/** Realistic group names: long, from a directory with teams, sites and roles. */
const groupName = (i: number) =>
  `data-platform-${String(i).padStart(2, '0')}-analytics-engineering-oncall-emea`;
const member = (g: number, m: number) => `member-${g}-${m}@example.com`;

describe('a person in 80 groups with many grants, and an action granted to 80 groups', () => {
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;
  beforeAll(async () => {
    const groups = Array.from({ length: GROUPS }, (_, g) => ({
      id: groupName(g),
      members: [ADA, ...Array.from({ length: 20 }, (_, m) => member(g, m))],
    }));
    const users = groups.flatMap((g) => g.members.filter((e) => e !== ADA).map((email) => ({ email })));
    fixture = createFixture({
      directory: {
        users: [...standardDirectory.users, ...users],
        groups: [...standardDirectory.groups, ...groups],
      },
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
    app = await startTestApp(fixture, database);
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    fixture.remove();
  });

  it('whoami lists every group and a page of grants, with the count of the rest and how to see them', async () => {
    const first = await say(app, 'whoami');
    expect(first.outcome).toBe('ok');
    expect(limitsOf(first.message)).toEqual([]);
    const shown = blocksText(first.message);
    expect(shown).toContain(`*Groups* (${GROUPS + 2})`);
    expect(shown).toContain(`file:${groupName(0)}`);
    expect(shown).toContain(`file:${groupName(GROUPS - 1)}`);
    // 82 grants: the platform's two and one per group.
    expect(first.message.text).toContain('You may (82; 1–40, page 1 of 3):');
    expect(first.message.text).toContain('and 42 more: whoami page=2');
    expect(shown).toContain('and 42 more: `whoami page=2`');
    expect(buttonsOf(first.message)).toEqual([{ text: 'Next ›', value: 'whoami page=2' }]);

    const last = await say(app, 'whoami page=3', 'button');
    expect(limitsOf(last.message)).toEqual([]);
    expect(last.message.text).toContain('You may (82; 81–82, page 3 of 3):');
    expect(buttonsOf(last.message)).toEqual([{ text: '‹ Previous', value: 'whoami page=2' }]);
    expect((await say(app, 'whoami page=9')).message.text).toContain(
      'You may (82; 81–82, page 3 of 3; there is no page 9):',
    );
  });

  it('who-can an action granted to 80 groups shows a page of them, the count of the rest, and Next', async () => {
    const first = await say(app, 'who-can workers.read');
    expect(first.outcome).toBe('ok');
    expect(limitsOf(first.message)).toEqual([]);
    expect(first.message.text).toMatch(/^Who may workers\.read \(81 grants; 1–25, page 1 of 4\):\n/);
    // Members in name order, the first 15 shown.
    expect(first.message.text).toContain(`${member(0, 3)} and 6 more)`);
    expect(first.message.text).toContain('and 56 more: who-can workers.read page=2');
    expect(blocksText(first.message)).toContain('and 56 more: `who-can workers.read page=2`');
    expect(buttonsOf(first.message)).toEqual([{ text: 'Next ›', value: 'who-can workers.read page=2' }]);

    const last = await say(app, 'who-can workers.read page=4', 'button');
    expect(limitsOf(last.message)).toEqual([]);
    expect(last.message.text).toContain('(81 grants; 76–81, page 4 of 4)');
    expect(last.message.text).toContain(`group file:${groupName(GROUPS - 1)} (21 members`);
    expect(buttonsOf(last.message)).toEqual([{ text: '‹ Previous', value: 'who-can workers.read page=3' }]);
    expect((await say(app, 'who-can workers.read page=9')).message.text).toContain(
      '(81 grants; 76–81, page 4 of 4; there is no page 9)',
    );
  });
});

const TARGETS = 40;
const targetName = (i: number) => `ingest-shard-${String(i).padStart(2, '0')}-backfill-workers`;

describe('a team with 40 pending reverts', () => {
  let kube: RunningKubernetes;
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;
  beforeAll(async () => {
    kube = await startKubernetes((sim) => {
      for (let i = 0; i < TARGETS; i++)
        sim.addWorkload({ kind: 'Deployment', namespace: 'team-big', name: targetName(i), replicas: 2 });
    });
    fixture = createFixture({
      config: {
        kubernetes: { kubeconfig: kube.kubeconfigPath, lockTimeout: '10s', minFor: '1s' },
        teams: [
          {
            name: 'team-big',
            maxReplicas: 20,
            confirmAbove: 12,
            targets: Array.from({ length: TARGETS }, (_, i) => ({
              name: targetName(i),
              cluster: 'sandbox',
              namespace: 'team-big',
              kind: 'Deployment',
              object: targetName(i),
            })),
          },
        ],
      },
    });
    database = await createTestDatabase();
    app = await startTestApp(fixture, database);
    for (let i = 0; i < TARGETS; i++) {
      const r = await say(
        app,
        `scale team-big --target ${targetName(i)} 4 --for 2h --reason "backfill ${i}"`,
      );
      expect(r.outcome).toBe('ok');
    }
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await database.drop();
    await kube.stop();
    fixture.remove();
  });

  it('workers <team> lists whole targets with their pending reverts, and says how to act on the rest', async () => {
    const { outcome, message } = await say(app, 'workers team-big');
    expect(outcome).toBe('ok');
    expect(limitsOf(message)).toEqual([]);
    const shown = blocksText(message);
    expect(shown).toContain(`${targetName(0)}: 4 desired`);
    // Nothing is cut mid-line: the last target is listed too, with its pending revert.
    expect(message.text).toContain(`${targetName(TARGETS - 1)}: 4 desired`);
    expect(shown).toContain(`${targetName(TARGETS - 1)}: 4 desired`);
    expect(message.text.match(/Pending revert: back to 2 at/g)).toHaveLength(TARGETS);
    expect(shown.match(/Pending revert: back to 2 at/g)).toHaveLength(TARGETS);
    const buttons = buttonsOf(message);
    expect(buttons).toHaveLength(20);
    expect(buttons[1]).toEqual({
      text: `Revert ${targetName(0)} now`,
      value: `scale team-big --target ${targetName(0)} --revert`,
    });
    expect(message.text).toContain(
      'Buttons for the first 10 targets; for the other 30: scale team-big --target &lt;name&gt; &lt;workers&gt;, or --revert',
    );
  });

  it('scale --revert without a target names the targets in one message within the limits', async () => {
    const { outcome, message } = await say(app, 'scale team-big --revert');
    expect(outcome).toBe('rejected');
    expect(limitsOf(message)).toEqual([]);
    expect(message.text).toContain(
      `team-big has temporary changes on 40 targets (${targetName(0)}, ${targetName(1)}, `,
    );
    expect(message.text).toContain(`${targetName(9)} and 30 more: "workers team-big" lists them); say which`);
    expect(message.text).not.toContain(targetName(10));
  });

  it('the confirmation of a change that replaces a pending revert stays within the limits', async () => {
    const { outcome, message } = await say(app, `scale team-big --target ${targetName(7)} 15`);
    expect(outcome).toBe('awaiting_confirmation');
    expect(limitsOf(message)).toEqual([]);
    expect(message.text).toContain(`Confirm: Scale team-big/${targetName(7)} 4 → 15`);
    expect(JSON.stringify(message.blocks)).toMatch(
      /This replaces the pending revert to 2 at [^(]+ \(2 → 4 was set by ada@example\.com for 2h \(\\"backfill 7\\"\)\)/,
    );
  });
});
