import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../db/embedded.ts';
import { liveCli, runCli } from '../support/cli.ts';
import { createFixture } from '../support/fixture.ts';

const fixture = createFixture({ config: { database: { dataDir: 'data' } } });
afterAll(() => fixture.remove());

describe('embedded PostgreSQL (DATABASE_URL unset)', () => {
  it('is created under the data folder, migrated, and stopped cleanly on exit; the next start reuses it', async () => {
    const env = { DATABASE_URL: undefined };
    const first = await runCli(['migrate', '--config', fixture.configPath], { env, timeoutMs: 120_000 });
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe('Database migrations are up to date.\n');
    expect(first.code).toBe(0);
    const pgdata = join(fixture.dir, 'data', 'pg');
    expect(existsSync(join(pgdata, 'PG_VERSION'))).toBe(true);
    expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);

    const session = await runCli(['console', '--config', fixture.configPath], {
      env,
      input: 'whoami\n',
      timeoutMs: 120_000,
    });
    expect(session.code).toBe(0);
    expect(session.stdout).toContain('You are Ada Lovelace');
    expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);

    const verify = await runCli(['audit', 'verify', '--config', fixture.configPath], {
      env,
      timeoutMs: 120_000,
    });
    expect(verify.stdout).toMatch(/Audit log intact: [1-9]\d* row/);

    expect(verify.code).toBe(0);

    // A command that fails after the server started keeps its exit code (the embedded server's
    // own exit hooks would turn it into 0): a tampered row makes `audit verify` exit 1.
    const server = await startEmbeddedPostgres({
      dataDir: join(fixture.dir, 'data'),
      port: 0,
      log: pino({ level: 'silent' }),
    });
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(
      "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET decision = 'deny' WHERE id = 1; ALTER TABLE audit_log ENABLE TRIGGER USER; COMMIT",
    );
    await client.end();
    await server.stop();
    const broken = await runCli(['audit', 'verify', '--config', fixture.configPath], {
      env,
      timeoutMs: 120_000,
    });
    expect(broken.stdout + broken.stderr).toMatch(/row 1/i);
    expect(broken.code).toBe(1);
    expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);
  });

  it('stops the server when a console session is ended by SIGTERM or SIGINT', async () => {
    const pgdata = join(fixture.dir, 'data', 'pg');
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const session = liveCli(['console', '--config', fixture.configPath], {
        env: { DATABASE_URL: undefined },
      });
      session.send('whoami');
      await session.waitFor(/You are Ada Lovelace/, 120_000);
      expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(true);
      expect(await session.kill(signal)).toBe(0);
      expect(existsSync(join(pgdata, 'postmaster.pid'))).toBe(false);
    }
  }, 240_000);
});
