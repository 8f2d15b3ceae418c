import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
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
  });
});
