import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../app/config/loadConfig.ts';
import { liveCli, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('the example configuration in the sandbox', () => {
  it('lets a newcomer start a release in the console against the simulated GitHub and Jira', async () => {
    const script = [
      'release start',
      'release start --since 14d',
      '.as grace@example.com',
      'release include orders-api',
      '.as linus@example.com',
      'release skip ingest',
      'release include catalog',
      'release status',
    ].join('\n');
    const result = await runCli(['console', '--config', exampleConfigPath()], {
      env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
      input: script,
    });
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out).toContain('pass --since');
    expect(out).toMatch(
      /Release #1 started: \d+ pull request\(s\) in 3 service\(s\), read with 2 GitHub request\(s\)/,
    );
    expect(out).toContain('[#releases] == Release #1');
    // The simulated Jira knows every key of the demo pull requests, and plans DATA-101 for the release.
    expect(out).toMatch(/Jira: (\d+) of \1 key\(s\) found; keys without a PR: DATA-101/);
    expect(out).toContain('Grace Hopper included orders-api in release #1.');
    // linus owns catalog (by Slack id), not ingest.
    expect(out).toContain('Not allowed: only the owners of ingest (file:team-x-oncall)');
    expect(out).toContain('Linus Torvalds included catalog in release #1.');
    const rows = await database.query<{ command: string; outcome: string }>(
      "SELECT command, outcome FROM audit_log WHERE kind = 'outcome' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { command: 'release start', outcome: 'rejected' },
      { command: 'release start', outcome: 'ok' },
      { command: 'release include', outcome: 'ok' },
      { command: 'release skip', outcome: 'denied' },
      { command: 'release include', outcome: 'ok' },
      { command: 'release status', outcome: 'ok' },
    ]);
  });

  it('numbers the buttons of messages posted by background work, so they can be pressed too', async () => {
    const fresh = await createTestDatabase();
    const cli = liveCli(['console', '--config', exampleConfigPath()], {
      env: { DATABASE_URL: fresh.url, LOG_LEVEL: 'silent' },
    });
    try {
      cli.send('release start --since 14d');
      // The orders-api message, posted in #releases by the release, carries Include and Skip.
      const [, include] = await cli.waitFor(/\[#releases\][^\n]*orders-api[\s\S]*?\[(\d+)\] Include/);
      // Grace owns orders-api: she presses its Include button by number.
      cli.send('.as grace@example.com');
      cli.send(include ?? '');
      await cli.waitFor(/Grace Hopper included orders-api in release #1\./);
      expect(await cli.end()).toBe(0);
      const rows = await fresh.query(
        "SELECT entry, outcome FROM audit_log WHERE command = 'release include' AND kind = 'outcome'",
      );
      expect(rows.rows).toEqual([{ entry: 'button', outcome: 'ok' }]);
    } finally {
      await fresh.drop();
    }
  }, 90_000);
});
