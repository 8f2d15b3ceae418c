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

  it('names the configured sources when asked for another', async () => {
    const result = await runCli(['sync', '--source', 'nope', '--config', fixture.configPath], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('there is no directory source "nope" (configured: file)');
  });
});
