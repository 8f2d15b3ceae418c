import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { sweepApprovals } from '../../pipeline/housekeepingJobs.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { recordingNotifier } from '../support/notifier.ts';

let fixture: Fixture;
let database: TestDatabase;
let app: App;
const notifier = recordingNotifier();

beforeAll(async () => {
  fixture = createFixture();
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { notifier });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
});

/** An approval settled `approved` ten minutes ago, as the click that settled it left it. */
async function approvedLongAgo(requestId: string) {
  const action = await app.services.pending.create({
    requestId,
    kind: 'approval',
    command: 'scale',
    commandText: 'scale team-x 9',
    args: { team: 'team-x', replicas: '9' },
    requesterEmail: 'grace@example.com',
    requesterSlackId: 'U0GRACE001',
    channel: 'C0ONCALL01',
    summary: 'Scale team-x to 9',
    approverGroup: 'file:data-platform',
    approvalsNeeded: 1,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  expect((await app.services.pending.decide(action.id, 'approved', 'ada@example.com')).won).toBe(true);
  await database.query(
    "UPDATE pending_actions SET decided_at = now() - interval '10 minutes' WHERE id = $1",
    [action.id],
  );
  return action;
}

describe('approved requests a stopped process never ran', () => {
  it('are ended once, with an outcome row and a word to the requester; ones that ran are left alone', async () => {
    const lost = await approvedLongAgo('req-approved-lost');
    const ran = await approvedLongAgo('req-approved-ran');
    // The one that ran has its outcome, written after the approval.
    await app.services.audit.append({
      requestId: ran.requestId,
      kind: 'outcome',
      entry: 'button',
      email: 'grace@example.com',
      command: 'scale',
      outcome: 'ok',
    });

    expect(await sweepApprovals(app.services)).toEqual([lost.id]);
    expect(await sweepApprovals(app.services)).toEqual([]);

    const rows = await database.query<{ request_id: string; outcome: string; error: string }>(
      "SELECT request_id, outcome, error FROM audit_log WHERE kind = 'outcome' AND entry = 'system' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      {
        request_id: 'req-approved-lost',
        outcome: 'not_run',
        error: expect.stringContaining(
          'approved by ada@example.com, but dpbot stopped before running it: nothing ran. Ask again: scale team-x 9',
        ),
      },
    ]);
    expect(notifier.directs.map((d) => [d.email, d.message.text])).toEqual([
      ['grace@example.com', expect.stringContaining('dpbot stopped before running it')],
    ]);
  });
});
