import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath } from '../../app/config/loadConfig.ts';
import { liveCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';

// Issue 32 item 2 in the sandbox `npm start` starts, from the console: "subscribe" and
// "notices off" go through the same pipeline as in Slack, and once orders-api runs in production
// its pull requests are commented on in the simulated GitHub, its authors told (not Grace, who
// turned them off) and its subscriber sent the notes — each once.

let database: TestDatabase;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('production notices in the sandbox console', () => {
  it('subscribe and notices off, then the notices of a shipped service, once each', async () => {
    const cli = liveCli(['console', '--config', exampleConfigPath()], {
      env: { DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
    });
    try {
      cli.send('.as linus@example.com');
      cli.send('subscribe order-api');
      await cli.waitFor(/there is no service "order-api"; did you mean "orders-api"\?/);
      cli.send('subscribe orders-api');
      await cli.waitFor(/Subscribed: the release notes of orders-api/);
      cli.send('.as grace@example.com');
      cli.send('notices off');
      await cli.waitFor(/"notices on" brings them back/);
      cli.send('.as ada@example.com');
      cli.send('release start --since 14d');
      await cli.waitFor(/Release #1 started/);
      cli.send('.as grace@example.com');
      cli.send('release include orders-api');
      cli.send('release skip ingest');
      await cli.waitFor(/Grace Hopper skipped ingest/);
      cli.send('.as linus@example.com');
      cli.send('release skip catalog');
      await cli.waitFor(/Linus Torvalds skipped catalog/);
      cli.send('.as ada@example.com');
      cli.send('release ship');
      const [, confirm] = await cli.waitFor(/\[(\d+)\] Confirm/);
      cli.send(confirm ?? '');
      await cli.waitFor(/\[direct to linus@example\.com\][^\n]*release notes/, 60_000);
      const sent = await eventually(
        async () => {
          const rows = await database.query<{ target: string; state: string }>(
            "SELECT target, state FROM release_notices WHERE service = 'orders-api' AND kind = 'running'",
          );
          expect(rows.rows.length).toBeGreaterThan(0);
          expect(rows.rows.filter((r) => r.state === 'queued' || r.state === 'sending')).toEqual([]);
          return rows.rows;
        },
        60_000,
        250,
      );
      const github = sent.filter((r) => r.target.startsWith('github:'));
      expect(github.length).toBeGreaterThan(0);
      expect(github.every((r) => r.state === 'sent')).toBe(true);
      expect(sent.filter((r) => r.target.startsWith('jira:')).every((r) => r.state === 'sent')).toBe(true);
      expect(sent).toContainEqual({ target: 'subscriber:linus@example.com', state: 'sent' });
      const grace = sent.find((r) => r.target === 'author:grace-h');
      if (grace) expect(grace.state).toBe('skipped');
      const out = cli.output();
      expect(out).not.toMatch(/\[direct to grace@example\.com\][^\n]*running in production/);
      const told = sent.filter((r) => r.target.startsWith('author:') && r.state === 'sent');
      // The demo pull requests of orders-api are by Ada and Linus among others (githubData.ts).
      expect(told.length).toBeGreaterThan(0);
      for (const author of told) {
        const email = `${author.target.slice('author:'.length).split('-')[0]}@example.com`;
        expect(
          out.match(new RegExp(`\\[direct to ${email}\\][^\\n]*running in production`, 'g')),
        ).toHaveLength(1);
      }
      expect(await cli.end()).toBe(0);
    } catch (error) {
      await cli.kill('SIGTERM');
      throw error;
    }
  }, 150_000);
});
