import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

let fixture: Fixture;
let database: TestDatabase;
let proxy: TcpProxy;
let app: App;
const fixtures = fixtureCommands();

beforeAll(async () => {
  fixture = createFixture();
  database = await createTestDatabase();
  const proxied = await TcpProxy.forDatabase(database.url);
  proxy = proxied.proxy;
  app = await startTestApp(fixture, database, {
    extraCommands: fixtures.commands,
    env: { DATABASE_URL: proxied.url },
  });
});

afterAll(async () => {
  proxy.restore();
  await app.close();
  await proxy.stop();
  await database.drop();
  fixture.remove();
});

async function run(text: string) {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email: 'ada@example.com' });
  return { outcome, texts: responder.texts(), requestId };
}

describe('when the database goes away', () => {
  it('fails closed with a clear message and runs nothing', async () => {
    proxy.cut();
    const before = fixtures.runs.length;
    const r = await run('drain team-x --size 1');
    expect(r.outcome).toBe('error');
    expect(r.texts).toEqual([expect.stringContaining('dpbot could not handle this request')]);
    expect(r.texts[0]).toContain('nothing was done');
    expect(fixtures.runs.length).toBe(before);
    proxy.restore();
    const rows = await database.query('SELECT 1 FROM audit_log WHERE request_id = $1', [r.requestId]);
    expect(rows.rowCount).toBe(0);
  });

  it('mid-command: the work done is reported, and its outcome is written once the database is back', async () => {
    const pending = run('slow');
    await eventually(async () => {
      const rows = await database.query("SELECT kind FROM audit_log WHERE command = 'slow'");
      expect(rows.rows).toEqual([{ kind: 'attempt' }]);
    });
    proxy.cut();
    fixtures.release();
    const r = await pending;
    expect(r.outcome).toBe('audit_unavailable');
    expect(r.texts).toEqual([
      'slow work finished',
      expect.stringContaining('dpbot keeps its outcome and writes it when the database is back'),
    ]);
    proxy.restore();
    await eventually(async () => {
      const rows = await database.query(
        "SELECT kind, outcome FROM audit_log WHERE command = 'slow' ORDER BY id",
      );
      expect(rows.rows).toEqual([
        { kind: 'attempt', outcome: null },
        { kind: 'outcome', outcome: 'ok' },
      ]);
    }, 20_000);
  });

  it('serves again once the database is back', async () => {
    proxy.restore();
    await eventually(async () => {
      const r = await run('whoami');
      expect(r.outcome).toBe('ok');
    });
    expect((await app.services.audit.verify()).ok).toBe(true);
  });
});
