import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../app/config/loadConfig.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('npm start with the example configuration (sandbox: true)', () => {
  it('shows simulated datasets, problems first, and details with a quick action', async () => {
    const script = [
      'datasets status=failed',
      '1',
      '.as linus@example.com',
      'datasets team=sales',
      'exit',
    ].join('\n');
    const result = await runCli(['console', '--config', exampleConfigPath()], {
      env: { DATABASE_URL: database.url },
      input: script,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toMatch(/Datasets \(status=failed\): \d+ · page 1 of \d+/);
    expect(out).toContain('as of 0s ago');
    // Button 1 is the first dataset's Details: its page has runs and, for Ada, a Backfill button.
    expect(out).toContain('> pressed "Details"');
    // (A failed dataset's newest run failed, unless its CronWorkflow cannot submit new ones.)
    expect(out).toMatch(/Last runs\n(❌ (Failed|Error)|✅ Succeeded) · /);
    expect(out).toMatch(/\[\d+\] Backfill {2}\[\d+\] All of /);
    expect(out).toMatch(/Datasets \(team=sales\): \d+ · page 1 of \d+/);
    const rows = await database.query<{ command: string; outcome: string; email: string }>(
      "SELECT command, outcome, email FROM audit_log WHERE kind = 'outcome' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { command: 'datasets', outcome: 'ok', email: 'ada@example.com' },
      { command: 'dataset', outcome: 'ok', email: 'ada@example.com' },
      { command: 'datasets', outcome: 'ok', email: 'linus@example.com' },
    ]);
  });
});
