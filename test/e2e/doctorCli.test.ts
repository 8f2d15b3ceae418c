import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../core/doctor.ts';
import { projectRoot } from '../../core/paths.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

/** `dpbot doctor` as a user runs it: the sandbox's simulators checked and marked, exit codes, JSON. */
const example = join(projectRoot(), 'dpbot.example.yaml');
let migrated: TestDatabase;
let empty: TestDatabase;

beforeAll(async () => {
  [migrated, empty] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  await empty.query(
    'DROP SCHEMA public CASCADE; CREATE SCHEMA public; DROP SCHEMA IF EXISTS drizzle CASCADE',
  );
});
afterAll(async () => {
  await Promise.all([migrated.drop(), empty.drop()]);
});

describe('dpbot doctor', () => {
  it('with the sandbox: every simulated system checked and marked, --json for scripts, exit 0', async () => {
    const r = await runCli(['--config', example, 'doctor', '--json'], {
      env: { DATABASE_URL: migrated.url },
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.counts.fail).toBe(0);
    const simulated = new Set(report.checks.filter((c) => c.simulated).map((c) => c.system));
    expect([...simulated].sort()).toEqual(['argo', 'argocd', 'directory', 'github', 'jira', 'kubernetes']);
    expect(report.checks.find((c) => c.system === 'slack')).toMatchObject({
      status: 'skip',
      message: 'not configured (SLACK_BOT_TOKEN is not set)',
      simulated: false,
    });
    // Intact, but with no checkpoint key nothing outside the database vouches for it: a warning.
    expect(report.checks.filter((c) => c.system === 'database').map((c) => c.status)).toEqual(['ok', 'warn']);
  });

  it('a database without its migrations: the failing lines with the fix, exit 1, and nothing migrated', async () => {
    const r = await runCli(['--config', example, 'doctor'], { env: { DATABASE_URL: empty.url } });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(
      'FAIL database migrations: answers, but not every migration is applied — run `dpbot migrate` (dpbot start applies them too)',
    );
    expect(r.stdout).toMatch(
      /^ok {3}kubernetes team-x \(simulated\): may update deployments\/scale in team-x$/m,
    );
    expect(r.stdout).toMatch(/Something dpbot needs is missing: \d+ ok, 2 failed/);
    const tables = await empty.query(
      "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
    );
    expect(tables.rows[0]?.n).toBe(0);
  });

  it('refuses a timeout that is not a duration', async () => {
    const r = await runCli(['--config', example, 'doctor', '--timeout', 'soon'], {
      env: { DATABASE_URL: migrated.url },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "option '--timeout <duration>' argument 'soon' is invalid. expected a duration such as 10s or 1m",
    );
  });
});
