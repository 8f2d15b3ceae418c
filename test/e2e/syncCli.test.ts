import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardDirectory } from '../support/fixture.ts';

let fixture: Fixture;
let database: TestDatabase;
let env: Record<string, string>;

beforeAll(async () => {
  fixture = createFixture({
    config: {
      directory: { sources: [{ name: 'file', type: 'file', path: 'directory.yaml', removalAllowance: 0 }] },
    },
  });
  database = await createTestDatabase();
  env = { DATABASE_URL: database.url };
});
afterAll(async () => {
  await database.drop();
  fixture.remove();
});

describe('dpbot sync', () => {
  it('applies, refuses a mass removal with exit code 1, and applies it with --force', async () => {
    const first = await runCli(['sync', '--config', fixture.configPath], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('file: applied — users +4');

    fixture.write('directory.yaml', {
      ...standardDirectory,
      groups: standardDirectory.groups.map((g) =>
        g.id === 'engineering' ? { ...g, members: ['ada@example.com'] } : g,
      ),
    });
    const refused = await runCli(['sync', '--config', fixture.configPath], { env });
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain('file: REFUSED, nothing changed');
    expect(refused.stdout).toContain(
      'refused: it would remove 2 of 5 memberships (40 %), more than the 10 % allowed',
    );
    expect(refused.stdout).toContain('  - linus@example.com from file:engineering');

    const forced = await runCli(['sync', '--force', '--source', 'file', '--config', fixture.configPath], {
      env,
    });
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('file: applied');
    const audit = await database.query(
      "SELECT entry, outcome, detail->>'forced' AS forced, detail->>'membershipsRemoved' AS removed FROM audit_log WHERE kind = 'event' ORDER BY id",
    );
    expect(audit.rows).toEqual([
      { entry: 'cli', outcome: 'ok', forced: 'false', removed: '0' },
      { entry: 'cli', outcome: 'refused', forced: 'false', removed: '2' },
      { entry: 'cli', outcome: 'ok', forced: 'true', removed: '2' },
    ]);
  });

  it('--dry-run shows who would gain which action and writes nothing', async () => {
    // After the forced removal above, engineering has Ada alone; the file lists Grace and Linus again.
    fixture.write('directory.yaml', standardDirectory);
    const count = async () =>
      (await database.query<{ n: number }>('SELECT count(*)::int AS n FROM memberships')).rows[0]?.n;
    const events = async () =>
      (await database.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE kind = 'event'"))
        .rows[0]?.n;
    const [membershipsBefore, eventsBefore] = [await count(), await events()];
    const dry = await runCli(['sync', '--dry-run', '--config', fixture.configPath], { env });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('file: would change — users +0 ~0 -0, groups +0 ~0 -0, memberships +2 -0');
    expect(dry.stdout).toContain('permissions: 2 people gain 2, 0 people lose 0 (of 2)');
    expect(dry.stdout).toContain('+ grace@example.com gains access.read on * (via file:engineering)');
    expect(dry.stdout).toContain('+ linus@example.com gains access.read on * (via file:engineering)');
    expect(await count()).toBe(membershipsBefore);
    expect(await events()).toBe(eventsBefore);
    const run = await database.query('SELECT status FROM directory_sync_runs ORDER BY id DESC LIMIT 1');
    expect(run.rows[0]).toEqual({ status: 'dry_run' });
  });

  it('names the configured sources when asked for another', async () => {
    const result = await runCli(['sync', '--source', 'nope', '--config', fixture.configPath], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no directory source "nope" (configured: file)');
  });
});
