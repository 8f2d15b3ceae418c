import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { startTestApp, typeCommand } from '../support/app.ts';
import { runCli } from '../support/cli.ts';
import type { TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import { databaseUrl } from '../support/urls.ts';

/**
 * The production set-up README "Least privilege" describes: one role owns dpbot's tables and runs
 * `dpbot migrate --grant`, another runs dpbot and owns nothing.
 */
const suffix = randomBytes(4).toString('hex');
const owner = `dpbot_owner_${suffix}`;
const runtime = `dpbot_app_${suffix}`;
const name = `dpbot_lp_${suffix}`;
const adminUrl = inject('adminUrl');

const as = (role: string) => {
  const url = new URL(databaseUrl(adminUrl, name));
  url.username = role;
  url.password = '';
  return url.toString();
};

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function query(role: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: as(role) });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

let fixture: Fixture;
let app: App | undefined;
const fixtures = fixtureCommands();

beforeAll(async () => {
  // The test server trusts loopback connections, so the roles need no password here.
  await admin(`CREATE ROLE ${owner} LOGIN`);
  await admin(`CREATE ROLE ${runtime} LOGIN`);
  await admin(`CREATE DATABASE ${name} OWNER ${owner}`);
  fixture = createFixture();
  const migrated = await runCli(['--config', fixture.configPath, 'migrate', '--grant', runtime], {
    env: { DATABASE_URL: as(owner) },
    timeoutMs: 120_000,
  });
  expect(migrated.stderr).not.toMatch(/error/i);
  expect(migrated.stdout).toContain(`Role ${runtime} may now run dpbot`);
  expect(migrated.code).toBe(0);
  app = await startTestApp(fixture, { url: as(runtime) } as TestDatabase, {
    extraCommands: fixtures.commands,
    runWorkers: true,
  });
}, 180_000);

afterAll(async () => {
  await app?.close();
  fixture?.remove();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`DROP ROLE IF EXISTS ${runtime}`);
  await admin(`DROP ROLE IF EXISTS ${owner}`);
});

describe('dpbot run by a role that owns nothing', () => {
  it('starts (policies, directory, job queue) and runs commands, every one audited', async () => {
    const started = app as App;
    const drained = await typeCommand(started, 'drain team-x --size 1', { email: 'ada@example.com' });
    expect(drained.outcome).toBe('ok');
    const who = await typeCommand(started, 'whoami', { email: 'ada@example.com' });
    expect(who.outcome).toBe('ok');
    const rows = await query(
      owner,
      `SELECT kind FROM audit_log WHERE request_id IN ('${drained.requestId}', '${who.requestId}') ORDER BY id`,
    );
    expect(rows.rows.map((r) => r.kind)).toEqual(['attempt', 'outcome', 'attempt', 'outcome']);
    expect(await started.services.audit.verify()).toMatchObject({ ok: true });
    const owned = await query(
      owner,
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = '${runtime}'`,
    );
    expect(owned.rows[0]?.n).toBe(0);
  });

  it('cannot change, delete or unchain audit rows, nor touch the chain head or its functions', async () => {
    const refused = [
      [
        "UPDATE audit_log SET email = 'mallory@example.com' WHERE id = 1",
        /permission denied for table audit_log/,
      ],
      ['DELETE FROM audit_log WHERE id = 1', /permission denied for table audit_log/],
      ['TRUNCATE audit_log', /permission denied for table audit_log/],
      ['ALTER TABLE audit_log DISABLE TRIGGER USER', /must be owner of table audit_log/],
      ['DROP TRIGGER audit_log_immutable ON audit_log', /must be owner of (table|relation) audit_log/],
      ['UPDATE audit_head SET last_id = 0', /permission denied for table audit_head/],
      [
        "CREATE OR REPLACE FUNCTION audit_row_hash(r audit_log) RETURNS text LANGUAGE sql AS $$ SELECT 'x' $$",
        /permission denied for schema public|must be owner of function audit_row_hash/,
      ],
      ['ALTER FUNCTION audit_log_chain() SECURITY INVOKER', /must be owner of function audit_log_chain/],
    ] as const;
    for (const [sql, error] of refused) await expect(query(runtime, sql), sql).rejects.toThrow(error);
    // What it may do: add a row, which the chain numbers and links whatever it claims.
    await query(
      runtime,
      "INSERT INTO audit_log (id, request_id, kind, entry, prev_hash, hash) VALUES (1, 'by-hand', 'event', 'system', 'forged', 'forged')",
    );
    const row = await query(
      owner,
      "SELECT id, prev_hash = 'forged' AS forged FROM audit_log WHERE request_id = 'by-hand'",
    );
    expect(row.rows).toEqual([{ id: expect.not.stringMatching(/^1$/), forged: false }]);
    expect(await (app as App).services.audit.verify()).toMatchObject({ ok: true });
  });

  it('migrate --grant refuses the role that owns the tables, and a role that does not exist', async () => {
    const env = { DATABASE_URL: as(owner) };
    const own = await runCli(['--config', fixture.configPath, 'migrate', '--grant', owner], { env });
    expect(own.stderr).toContain(`"${owner}" owns dpbot's tables`);
    expect(own.code).not.toBe(0);
    const none = await runCli(['--config', fixture.configPath, 'migrate', '--grant', `${runtime}_x`], {
      env,
    });
    expect(none.stderr).toContain(`there is no role "${runtime}_x"`);
    expect(none.code).not.toBe(0);
  });
});
