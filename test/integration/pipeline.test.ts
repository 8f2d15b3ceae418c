import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { CANCEL_ACTION, CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import { auditRowsOf, recordingResponder, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';

const fixtures = fixtureCommands();
const runs = fixtures.runs;

let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  fixture = createFixture({
    policies: {
      'platform.yaml': standardPolicies,
      'oncall.yaml': {
        grants: [
          {
            group: 'file:team-x-oncall',
            actions: ['workers.scale'],
            resources: ['team:*'],
            limits: { maxReplicas: 5 },
          },
        ],
      },
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { extraCommands: fixtures.commands });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
});

async function run(text: string, email: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email, channel: 'C1' });
  const rows = await auditRowsOf(
    database,
    requestId,
    'kind, decision, reason, outcome, error, email, action, resource, command',
  );
  return { outcome, responder, rows, requestId };
}

describe('command pipeline', () => {
  it('help lists only what the caller may run', async () => {
    const ada = await run('help', 'ada@example.com');
    expect(ada.responder.texts()[0]).toContain('audit [user]');
    const linus = await run('help', 'linus@example.com');
    const text = linus.responder.texts()[0] ?? '';
    expect(text).toContain('who-can');
    expect(text).not.toContain('audit [user]');
    expect(text).not.toContain('drain <queue>');
    expect(linus.rows).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'allow', command: 'help' }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
  });

  it('help <command> shows usage and whether the caller has the action', async () => {
    const r = await run('help drain', 'linus@example.com');
    expect(r.responder.texts()[0]).toContain('Usage: drain <queue> [--size <n>]');
    expect(r.responder.sent[0]?.message.blocks?.length).toBeGreaterThan(0);
  });

  it('runs an allowed command, announces it, and audits attempt and outcome', async () => {
    const r = await run('drain team-x --size 3', 'grace@example.com');
    expect(r.outcome).toBe('ok');
    expect(runs).toContain('team-x:3:grace@example.com');
    expect(r.responder.sent.map((s) => [s.message.text, s.message.visibility])).toEqual([
      ['drained team-x by grace@example.com', 'in_channel'],
    ]);
    expect(r.rows).toEqual([
      expect.objectContaining({
        kind: 'attempt',
        decision: 'allow',
        action: 'workers.scale',
        resource: 'team:team-x',
        email: 'grace@example.com',
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
    expect(r.rows[0]?.reason).toContain('policies/oncall.yaml#grants[0]');
  });

  it('denies without a grant, naming the action, resource and whom to ask', async () => {
    const before = runs.length;
    const r = await run('drain team-x', 'linus@example.com');
    expect(r.outcome).toBe('denied');
    expect(runs.length).toBe(before);
    expect(r.responder.texts()[0]).toBe(
      'Not allowed: drain needs the workers.scale action on team:team-x, and no grant gives workers.scale on team:team-x. Ask #data-platform for access.',
    );
    expect(r.rows).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'deny', email: 'linus@example.com' }),
    ]);
  });

  it('enforces grant limits and names them', async () => {
    const r = await run('drain team-x --size 9', 'grace@example.com');
    expect(r.outcome).toBe('denied');
    expect(r.responder.texts()[0]).toContain('limit exceeded: maxReplicas is 5 and this asks for 9');
  });

  it('denies unknown and deactivated people with how to get access, and audits it', async () => {
    const unknown = await run('help', 'mallory@example.com');
    expect(unknown.outcome).toBe('denied');
    expect(unknown.responder.texts()[0]).toContain("mallory@example.com is not in dpbot's directory");
    expect(unknown.responder.texts()[0]).toContain('Ask #data-platform');
    expect(unknown.rows).toEqual([
      expect.objectContaining({ decision: 'deny', email: 'mallory@example.com' }),
    ]);
    const olive = await run('whoami', 'olive@example.com');
    expect(olive.outcome).toBe('denied');
    expect(olive.responder.texts()[0]).toContain('no longer active');
  });

  it.each([
    ['drian team-x', 'unknown command "drian"; did you mean "drain"?'],
    ['drain', 'queue: missing: it is required'],
    ['drain team-x --size -1', 'size: '],
    ['drain team-x --size lots', 'size: '],
    ['drain "team x"', 'queue: '],
    ['drain team-x; rm -rf /', 'unexpected argument'],
    ["drain 'team-x'; DROP TABLE audit_log;--", 'unexpected argument'],
    ['drain $(whoami)', 'queue: '],
    ['drain team-x --reason x', 'unknown option --reason'],
    ['drain "unterminated', 'is not closed'],
    [`drain ${'a'.repeat(3000)}`, 'too long'],
    ['drain te\u0007am', 'control character'],
    ['drain ünïcødé-😀', 'queue: '],
  ])('rejects %# cleanly, audits it, runs nothing', async (text, message) => {
    const before = runs.length;
    const r = await run(text, 'ada@example.com');
    expect(r.outcome).toBe('invalid');
    expect(runs.length).toBe(before);
    expect(r.responder.texts()[0]).toContain(message);
    expect(r.rows).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'invalid', email: 'ada@example.com' }),
    ]);
  });

  it('turns failures inside a command into clear replies and audited outcomes', async () => {
    const upstream = await run('drain broken', 'ada@example.com');
    expect(upstream.outcome).toBe('error');
    expect(upstream.responder.texts()[0]).toBe('Failed: Kubernetes: the API answered 500');
    expect(upstream.rows.at(-1)).toMatchObject({
      kind: 'outcome',
      outcome: 'error',
      error: 'Kubernetes: the API answered 500',
    });
    const rejected = await run('drain too-big', 'ada@example.com');
    expect(rejected.outcome).toBe('rejected');
    expect(rejected.rows.at(-1)).toMatchObject({ outcome: 'rejected' });
  });
});

describe('confirmations', () => {
  const pendingIdOf = (sent: ReturnType<typeof recordingResponder>['sent']) => {
    const actions = sent[0]?.message.blocks?.find((b) => b.type === 'actions');
    const button = actions && 'elements' in actions ? actions.elements[0] : undefined;
    return button && 'value' in button ? (button.value as string) : '';
  };

  async function click(actionId: string, value: string, email: string) {
    const responder = recordingResponder();
    const outcome = await app.pipeline.handleAction({
      entry: 'button',
      actionId,
      value,
      caller: { email },
      channel: 'C1',
      responder,
    });
    return { outcome, responder };
  }

  it('asks before running, only the caller can confirm, and a second click is told who did it', async () => {
    const asked = await run('drain team-x --size 0', 'ada@example.com');
    expect(asked.outcome).toBe('awaiting_confirmation');
    expect(asked.responder.texts()[0]).toBe('Confirm: Drain team-x to 0');
    const id = pendingIdOf(asked.responder.sent);
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(runs).not.toContain('team-x:0:ada@example.com');

    const stranger = await click(CONFIRM_ACTION, id, 'grace@example.com');
    expect(stranger.outcome).toBe('denied');
    expect(stranger.responder.texts()[0]).toContain('only ada@example.com, who asked for this, can confirm');

    const [first, second] = await Promise.all([
      click(CONFIRM_ACTION, id, 'ada@example.com'),
      click(CONFIRM_ACTION, id, 'ada@example.com'),
    ]);
    expect([first.outcome, second.outcome].sort()).toEqual(['conflict', 'ok']);
    expect(runs.filter((r) => r === 'team-x:0:ada@example.com')).toHaveLength(1);
    const loser = first.outcome === 'conflict' ? first : second;
    expect(loser.responder.texts()[0]).toMatch(/^Already confirmed by ada@example.com at \d{4}-/);

    const rows = await database.query(
      'SELECT kind, outcome, email FROM audit_log WHERE request_id = $1 ORDER BY id',
      [asked.requestId],
    );
    expect(rows.rows).toEqual([
      { kind: 'attempt', outcome: null, email: 'ada@example.com' },
      { kind: 'step', outcome: 'confirmation_requested', email: 'ada@example.com' },
      { kind: 'step', outcome: 'confirmation_refused', email: 'grace@example.com' },
      { kind: 'step', outcome: 'confirmed', email: 'ada@example.com' },
      { kind: 'outcome', outcome: 'ok', email: 'ada@example.com' },
    ]);
  });

  it('cancel runs nothing and is audited', async () => {
    const asked = await run('drain team-y --size 0', 'ada@example.com');
    const cancelled = await click(CANCEL_ACTION, pendingIdOf(asked.responder.sent), 'ada@example.com');
    expect(cancelled.outcome).toBe('cancelled');
    expect(runs).not.toContain('team-y:0:ada@example.com');
    const rows = await database.query(
      'SELECT kind, outcome FROM audit_log WHERE request_id = $1 ORDER BY id',
      [asked.requestId],
    );
    expect(rows.rows.at(-1)).toEqual({ kind: 'outcome', outcome: 'cancelled' });
  });

  it('an unanswered confirmation expires, is audited, and cannot be confirmed after', async () => {
    const past = await startTestApp(fixture, database, {
      extraCommands: fixtures.commands,
      now: () => new Date(Date.now() - 3_600_000),
    });
    try {
      const responder = recordingResponder();
      const requestId = crypto.randomUUID();
      await past.pipeline.handleText({
        requestId,
        entry: 'console',
        text: 'drain team-z --size 0',
        caller: { email: 'ada@example.com' },
        responder,
      });
      const id = pendingIdOf(responder.sent);
      const expired = await past.pipeline.expirePending();
      expect(expired.map((p) => p.id)).toContain(id);
      const late = await click(CONFIRM_ACTION, id, 'ada@example.com');
      expect(late.outcome).toBe('expired');
      expect(late.responder.texts()[0]).toMatch(/^Already expired by dpbot/);
      expect(runs).not.toContain('team-z:0:ada@example.com');
      const rows = await database.query(
        'SELECT kind, outcome, entry FROM audit_log WHERE request_id = $1 ORDER BY id',
        [requestId],
      );
      expect(rows.rows.at(-1)).toEqual({ kind: 'outcome', outcome: 'expired', entry: 'system' });
    } finally {
      await past.close();
    }
  });
});

describe('when a reply cannot be delivered', () => {
  it('the outcome stands and is audited; the failure is only logged', async () => {
    const before = runs.length;
    const requestId = crypto.randomUUID();
    const outcome = await app.pipeline.handleText({
      requestId,
      entry: 'console',
      text: 'drain team-x --size 2',
      caller: { email: 'ada@example.com' },
      responder: {
        send: async () => {
          throw new Error('the response URL expired');
        },
      },
    });
    expect(outcome).toBe('ok');
    expect(runs.length).toBe(before + 1);
    const rows = await database.query(
      'SELECT kind, outcome FROM audit_log WHERE request_id = $1 ORDER BY id',
      [requestId],
    );
    expect(rows.rows).toEqual([
      { kind: 'attempt', outcome: null },
      { kind: 'outcome', outcome: 'ok' },
    ]);
  });
});

describe('when the audit log cannot be written', () => {
  it('the command does not run and the caller is told', async () => {
    await database.query('ALTER TABLE audit_log RENAME TO audit_log_away');
    try {
      const before = runs.length;
      const responder = recordingResponder();
      const outcome = await app.pipeline.handleText({
        entry: 'console',
        text: 'drain team-x',
        caller: { email: 'ada@example.com' },
        responder,
      });
      expect(outcome).toBe('audit_unavailable');
      expect(runs.length).toBe(before);
      expect(responder.texts()[0]).toContain('the audit log cannot be written right now');
    } finally {
      await database.query('ALTER TABLE audit_log_away RENAME TO audit_log');
    }
  });
});
