import { describe, expect, it } from 'vitest';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import { syncResultLines } from '../../handlers/directory/index.ts';
import { holdRequestMessage, syncResultMessage } from '../../handlers/directory/views.ts';
import type { Message } from '../../pipeline/message.ts';
import { permissionDiff } from '../../policies/permissionDiff.ts';
import { checkMessage, describeViolations } from '../../sandbox/slack/blockKitLimits.ts';

const id = '0b6f8a52-1c1e-4c8e-9d53-3f1f2a3b4c5d';
// Long names with characters mrkdwn must escape, many more than one message holds.
const lines = Array.from(
  { length: 5000 },
  (_, i) =>
    `- person-${i}-${'x'.repeat(60)}@example.com loses workers.scale on team:<t${i}> (via google:staff&co@example.com)`,
);

/** The payload as the Slack surface sends it, held to Slack's limits. */
function violations(message: Message): string[] {
  return describeViolations(checkMessage({ channel: 'C0ADMIN001', ...slackPayload(message) }));
}

describe('the approval request of a held change', () => {
  const message = holdRequestMessage({
    title: 'Directory sync of google',
    target: 'google',
    holdId: id,
    problems: ['it would remove 5000 of 5200 memberships (96 %), more than the 10 % allowed'],
    headline: 'permissions: 0 people gain 0, 5000 people lose 5000 (of 5400)',
    lines,
    requestedBy: 'ada@example.com',
    twoPerson: true,
  });

  it('stays within Block Kit limits however long the difference, and says how much it left out', () => {
    expect(violations(message)).toEqual([]);
    expect(message.text).toContain('… and 4960 more');
    expect(message.text).toContain('someone else must approve it');
  });

  it('has Approve and Deny buttons that name the exact request', () => {
    const json = JSON.stringify(message.blocks);
    expect(json).toContain(`"value":"access approve google ${id}"`);
    expect(json).toContain(`"value":"access deny google ${id}"`);
  });

  it('a scheduled sync has nobody to exclude', () => {
    const scheduled = holdRequestMessage({
      title: 'Policy reload',
      target: 'policies',
      holdId: id,
      problems: [],
      headline: 'permissions: no change',
      lines: [],
      requestedBy: null,
      twoPerson: true,
    });
    expect(scheduled.text).toContain('Found by a scheduled run. Approve applies exactly this change');
    expect(violations(scheduled)).toEqual([]);
  });
});

describe('access sync --dry-run in Slack', () => {
  it('stays within Block Kit limits with a long difference, in 15 lines of each kind', () => {
    const staff = Array.from({ length: 5000 }, (_, i) => `person-${i}-${'x'.repeat(60)}@example.com`);
    const grants = [
      {
        subject: { kind: 'group' as const, name: 'google:staff' },
        actions: ['workers.read'],
        resources: ['team:*'],
      },
    ];
    const permissions = permissionDiff(
      { grants, members: new Map([['google:staff', staff]]) },
      { grants, members: new Map([['google:staff', []]]) },
    );
    const removed = staff.map((e) => ['google:staff', e] as const);
    const lines = syncResultLines(
      {
        source: 'google',
        status: 'dry_run',
        problems: [],
        notes: [],
        permissions,
        diff: {
          source: 'google',
          usersAdded: [],
          usersChanged: [],
          usersRemoved: [],
          groupsAdded: [],
          groupsChanged: [],
          groupsRemoved: [],
          membershipsAdded: [],
          membershipsRemoved: removed,
          before: { users: 5000, groups: 1, memberships: 5000 },
          emptiedGroups: ['google:staff'],
          written: 0,
        },
      },
      15,
    );
    expect(lines).toContain('  … and 4985 more');
    expect(lines).toContain('  permissions: 0 people gain 0, 5000 people lose 5000 (of 5000)');
    expect(violations(syncResultMessage(lines, true))).toEqual([]);
  });
});
