import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import type { AuditEntry } from '../../db/stores/auditStore.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';

// `audit` as an admin reads it (issue 20, item 7): a person named by a word the directory knows,
// and every row of an action — not only its attempts and outcomes.

const ADA = 'ada@example.com';

describe('the audit command', () => {
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;

  const row = (entry: Partial<AuditEntry> & Pick<AuditEntry, 'requestId' | 'kind'>) =>
    app.services.audit.append({ entry: 'console', ...entry });

  beforeAll(async () => {
    fixture = createFixture({
      directory: {
        ...standardDirectory,
        users: [
          ...standardDirectory.users,
          { email: 'gkelly@example.com', name: 'Grace Kelly' },
          { email: 'mhamilton@example.com', name: 'Margaret Hamilton' },
          { email: 'mheafield@example.com', name: 'Margaret Heafield' },
        ],
      },
    });
    database = await createTestDatabase();
    app = await startTestApp(fixture, database);
    const run = {
      email: 'grace@example.com',
      command: 'task run',
      action: 'tasks.run',
      resource: 'task:backfill',
    };
    await row({
      requestId: 'r1',
      kind: 'attempt',
      ...run,
      commandText: 'task run backfill',
      decision: 'allow',
    });
    await row({ requestId: 'r1', kind: 'step', ...run, outcome: 'submitting' });
    await row({ requestId: 'r1', kind: 'outcome', ...run, outcome: 'ok' });
    await row({ requestId: 'r1', kind: 'event', entry: 'system', ...run, outcome: 'workflow_failed' });
    await row({
      requestId: 'r2',
      kind: 'attempt',
      email: 'gkelly@example.com',
      command: 'scale',
      action: 'workers.scale',
      commandText: 'scale team-x 4',
      decision: 'allow',
    });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    fixture.remove();
  });

  const audit = async (text: string) => {
    const { outcome, responder } = await typeCommand(app, text, { email: ADA });
    return { outcome, text: responder.texts().join('\n') };
  };

  it('reads a word the directory knows as a person, before taking it for an action', async () => {
    const { outcome, text } = await audit('audit grace 1h');
    expect(outcome).toBe('ok');
    expect(text).toMatch(/^Audit log \(user grace@example\.com, since 1h\): 3 record\(s\)/);
    expect(text).not.toContain('gkelly@example.com');
    // A name, a first name, "me" and a Slack mention name people too; so does user=.
    expect((await audit('audit "grace kelly"')).text).toContain('(user gkelly@example.com)');
    expect((await audit('audit user=grace')).text).toContain('(user grace@example.com)');
    expect((await audit('audit me')).text).toContain('(user ada@example.com)');
    expect((await audit('audit <@U0GRACE001>')).text).toContain('(user grace@example.com)');
  });

  it('asks which person when a name fits several, and refuses a word that is nobody and nothing', async () => {
    const several = await audit('audit margaret');
    expect(several.outcome).toBe('rejected');
    expect(several.text).toContain(
      '"margaret" could be mhamilton@example.com, mheafield@example.com: give the e-mail address',
    );
    expect((await audit('audit "Margaret Hamilton"')).text).toContain('(user mhamilton@example.com)');
    expect((await audit('audit mheafield')).text).toContain('(user mheafield@example.com)');
    const nobody = await audit('audit gracee 1h');
    expect(nobody.outcome).toBe('rejected');
    expect(nobody.text).toContain('cannot tell what "gracee" filters by');
  });

  it('shows every row of an action: the attempt, its steps, its outcome and the background result', async () => {
    const { outcome, text } = await audit('audit tasks.run');
    expect(outcome).toBe('ok');
    expect(text).toContain('Audit log (action tasks.run): 4 record(s)');
    expect(text).toContain('event workflow failed');
    expect(text).toContain('step submitting');
    expect(text).toContain('outcome ok');
    expect(text).toContain('attempt allow');
    // Without an action, background events still show (whose they are), steps do not.
    const grace = await audit('audit grace');
    expect(grace.text).toContain('event workflow failed');
    expect(grace.text).not.toContain('step submitting');
  });

  it('names people by name and dpbot by its own work, states in words', async () => {
    await row({
      requestId: 'r3',
      kind: 'event',
      entry: 'system',
      command: 'scale',
      action: 'workers.scale',
      resource: 'team:team-x',
      outcome: 'revert_skipped',
    });
    const { text } = await audit('audit workers.scale');
    expect(text).toContain(' · dpbot, scheduled revert · scale · event revert skipped');
    expect(text).not.toMatch(/ · \? · /);
    const tasks = await audit('audit tasks.run');
    expect(tasks.text).toContain(' · Grace Hopper (grace@example.com) · task run backfill · attempt allow');
  });
});
