import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { APPROVE_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { auditRowsOf, recordingResponder, startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';

let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  fixture = createFixture();
  database = await createTestDatabase();
  app = await startTestApp(fixture, database);
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
});

async function click(actionId: string, value: string) {
  const requestId = randomUUID();
  const responder = recordingResponder();
  const outcome = await app.pipeline.handleAction({
    requestId,
    entry: 'button',
    actionId,
    value,
    caller: { email: 'linus@example.com', slackUserId: 'U0LINUS001' },
    channel: 'C1',
    responder,
  });
  const rows = await auditRowsOf(
    database,
    requestId,
    'kind, decision, outcome, email, command, reason, args',
  );
  return { outcome, text: responder.texts().join('\n'), rows };
}

describe('clicks dpbot cannot tie to anything are answered and audited (issue 19)', () => {
  it('a Confirm or Approve on a pending request that does not exist', async () => {
    const missing = randomUUID();
    for (const [actionId, what] of [
      [CONFIRM_ACTION, 'confirmation'],
      [APPROVE_ACTION, 'approval'],
    ] as const) {
      const { outcome, text, rows } = await click(actionId, missing);
      expect(outcome).toBe('not_found');
      expect(text).toContain('This request no longer exists. Run the command again.');
      expect(rows).toEqual([
        {
          kind: 'outcome',
          decision: 'invalid',
          outcome: 'not_found',
          email: 'linus@example.com',
          command: 'button',
          reason: `no ${what} ${missing} is waiting`,
          args: { actionId, value: missing },
        },
      ]);
    }
  });

  it('a button id dpbot does not know', async () => {
    const { outcome, text, rows } = await click('dp.from-the-future', 'x');
    expect(outcome).toBe('invalid');
    expect(text).toContain('this button (dp.from-the-future) is not one dpbot knows');
    expect(rows).toMatchObject([
      {
        kind: 'outcome',
        decision: 'invalid',
        outcome: 'unknown_action',
        command: 'button',
        email: 'linus@example.com',
      },
    ]);
  });
});
