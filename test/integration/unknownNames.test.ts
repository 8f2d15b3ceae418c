import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { auditRowsOf, typeCommand } from '../support/app.ts';
import type { TestDatabase } from '../support/db.ts';
import { type SandboxApp, startSandboxApp } from '../support/sandboxApp.ts';

// A typo is not a denial (issue 20, item 2): a name no team, task, dataset, service, application
// or directory source has is answered as unknown before authorization, with suggestions among
// what the caller may see only. The sandbox a newcomer starts with: Ada administers everything;
// Grace (team-x on-call) may scale team-x, run reprocess-partition and compact-table and roll
// back orders-api; Linus (engineering) may read and backfill.

const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
const LINUS = 'linus@example.com';

let running: SandboxApp;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  running = await startSandboxApp();
  ({ database, app } = running);
}, 60_000);
afterAll(async () => {
  await running?.close();
});

async function say(text: string, email: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email });
  const rows = await auditRowsOf<{
    kind: string;
    decision: string;
    outcome: string;
    reason: string;
    resource: string;
  }>(database, requestId, 'kind, decision, outcome, reason, resource');
  return { outcome, reply: responder.texts().join('\n'), rows };
}

describe('a name nobody has', () => {
  it.each([
    // [caller, command, what the answer says]
    [GRACE, 'scale team-xx 8', 'there is no team "team-xx"; did you mean "team-x"?'],
    [GRACE, 'workers team-xx', 'there is no team "team-xx"; did you mean "team-x" or "team-y"?'],
    [
      LINUS,
      'task run backfil dataset=sales.orders_daily',
      'there is no task "backfil"; did you mean "backfill"?',
    ],
    [LINUS, 'task list backfil', 'there is no task "backfil"; did you mean "backfill"?'],
    [GRACE, 'release include orders-apii', 'there is no service "orders-apii"; did you mean "orders-api"?'],
    [GRACE, 'rollback orders-apii', 'there is no service "orders-apii"; did you mean "orders-api"?'],
    [
      GRACE,
      'release rollback orders-apii',
      'there is no application "orders-apii"; did you mean "orders-api"?',
    ],
    [
      LINUS,
      'dataset sales.orders_daly',
      'there is no dataset "sales.orders_daly"; did you mean "sales.orders_daily"',
    ],
    [ADA, 'access sync fille', 'there is no directory source "fille"; did you mean "file"?'],
  ])(
    '%s: "%s" is told it is unknown, not that access is missing; audited as invalid',
    async (who, text, says) => {
      const r = await say(text, who);
      expect(r.outcome).toBe('invalid');
      expect(r.reply).toContain(`Not run: ${says}`);
      expect(r.reply).not.toContain('Not allowed');
      expect(r.rows).toEqual([
        expect.objectContaining({ kind: 'attempt', decision: 'invalid', outcome: 'unknown_resource' }),
      ]);
      expect(r.rows[0]?.reason).toContain(says);
    },
  );

  it('suggests and lists only what the caller may see', async () => {
    // team-flink is one edit from "team-flinkk", but Grace may only scale team-x: no suggestion
    // of it, only the teams she may scale listed.
    const grace = await say('scale team-flinkk 3', GRACE);
    expect(grace.outcome).toBe('invalid');
    expect(grace.reply).toContain(
      'there is no team "team-flinkk"; teams you may use: team-x ("workers" lists the teams)',
    );
    expect(grace.reply).not.toContain('team-flink"');
    // An admin is pointed at the nearest name.
    const ada = await say('scale team-flinkk 3', ADA);
    expect(ada.reply).toContain(
      'there is no team "team-flinkk"; did you mean "team-flink"? ("workers" lists the teams)',
    );
    // Tasks Linus may not run are neither suggested nor listed.
    const linus = await say('task run reprocess-partitio dataset=sales.orders_daily', LINUS);
    expect(linus.outcome).toBe('invalid');
    expect(linus.reply).toContain(
      'there is no task "reprocess-partitio"; tasks you may use: backfill ("task list" shows the tasks you may run)',
    );
    expect(linus.reply).not.toContain('reprocess-partition"');
    // A name that exists but is not the caller's is still a denial, as before.
    const denied = await say('scale team-y 3', GRACE);
    expect(denied.outcome).toBe('denied');
  });
});
