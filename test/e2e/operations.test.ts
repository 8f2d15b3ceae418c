import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config/loadConfig.ts';
import { type RunningBot, serveSlack } from '../../app/serve.ts';
import { createLogger } from '../../core/logger.ts';
import { SANDBOX_BOT_TOKEN, type SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { fixtureCommands } from '../support/fixtureCommands.ts';
import { FakeSlack, SIGNING_SECRET, slackWithPeople } from '../support/slack.ts';

let dbPassword = 'db-pass-Xq7-never-log-me';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;
const logLines: string[] = [];
const fixtures = fixtureCommands();
/** The database URL the bots connect with, carrying the password the logs must never show. */
let botDatabaseUrl = '';

/** A bot whose log lines go to `logLines`, as the one every case shares. */
function startBot(): Promise<RunningBot> {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return serveSlack({
    loaded: loadConfig({ path: fixture.configPath, env: {} }),
    env: { DATABASE_URL: botDatabaseUrl },
    log: createLogger('trace', sink),
    settings: { botToken: SANDBOX_BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: undefined },
    port: 0,
    host: '127.0.0.1',
    extraCommands: fixtures.commands,
  });
}

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  // A password to look for in the logs: the test database's own (the embedded server checks it),
  // or, on a server that trusts local connections, one made up here.
  const url = new URL(database.url);
  if (url.password) dbPassword = decodeURIComponent(url.password);
  else url.password = dbPassword;
  botDatabaseUrl = url.toString();
  bot = await startBot();
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('metrics', () => {
  it('count commands, acknowledgements, decisions, audit writes, Slack calls and queue depth', async () => {
    await slack.slash('help', 'U0ADA00001');
    await slack.slash('who-can audit.read', 'U0LINUS001');
    await slack.slash('audit', 'U0LINUS001');
    await eventually(async () => {
      const text = await (await fetch(`${bot.server.url}/metrics`)).text();
      expect(text).toMatch(/dpbot_commands_total\{command="help",outcome="ok"\} [1-9]/);
      expect(text).toMatch(/dpbot_commands_total\{command="audit",outcome="denied"\} 1/);
      expect(text).toMatch(/dpbot_ack_latency_seconds_count\{entry="slash_command"\} [3-9]/);
      expect(text).toMatch(/dpbot_authorization_decisions_total\{action="audit.read",decision="deny"\} 1/);
      expect(text).toMatch(/dpbot_authorization_decisions_total\{action="access.read",decision="allow"\} 1/);
      expect(text).toMatch(/dpbot_audit_writes_total\{kind="attempt",result="ok"\} [3-9]/);
      expect(text).toMatch(/dpbot_external_calls_total\{system="slack",status="200"\} [1-9]/);
      expect(text).toMatch(/dpbot_job_queue_depth\{queue="dpbot\.expire-confirmations",state="ready"\} \d+/);
      expect(text).toContain('dpbot_process_');
      expect(text).toMatch(/dpbot_directory_sync_age_seconds\{source="file"\} \d/);
    });
  });
});

describe('logs', () => {
  it('carry the request id, user and command on the lines of a request', async () => {
    sim.inject({ path: /chat\.postMessage$/, status: 500, times: 4 });
    await slack.slash('drain team-x --size 1', 'U0ADA00001');
    const lines = await eventually(() => {
      const found = logLines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.command === 'drain');
      expect(found.length).toBeGreaterThan(0);
      return found;
    }, 20_000);
    for (const line of lines) {
      expect(line).toMatchObject({
        command: 'drain',
        requestId: expect.any(String),
        user: expect.any(String),
      });
    }
  });
});

describe('graceful shutdown', () => {
  it('stops taking requests, lets the one in progress finish and audits its outcome, then closes', async () => {
    const r = await slack.slash('slow', 'U0ADA00001');
    expect(r.status).toBe(200);
    const stopping = bot.stop({ drainMs: 20_000 });
    // New connections are refused while the slow command is still running.
    await eventually(async () => {
      await expect(fetch(`${bot.server.url}/healthz`)).rejects.toThrow();
    });
    expect(bot.app.pipeline.inflight).toBe(1);
    fixtures.release();
    await stopping;
    const rows = await database.query(
      "SELECT kind, outcome FROM audit_log WHERE command = 'slow' ORDER BY id",
    );
    expect(rows.rows).toEqual([
      { kind: 'attempt', outcome: null },
      { kind: 'outcome', outcome: 'ok' },
    ]);
    expect(slack.responses(r.responseId)).toContainEqual(
      expect.objectContaining({ text: 'slow work finished' }),
    );
  });

  it('never wrote a secret to the log', async () => {
    // Signed requests of its own in the log, whatever ran before: the shared bot is stopped by now.
    const own = await startBot();
    try {
      const client = new FakeSlack(own.server.url, sim);
      for (const [text, user] of [
        ['help', 'U0ADA00001'],
        ['who-can audit.read', 'U0LINUS001'],
        ['audit', 'U0LINUS001'],
      ] as const) {
        const r = await client.slash(text, user);
        await eventually(() =>
          expect(client.responses(r.responseId).length + (r.ack ? 1 : 0)).toBeGreaterThan(0),
        );
      }
    } finally {
      await own.stop();
    }
    const all = logLines.join('\n');
    expect(logLines.length).toBeGreaterThan(20);
    for (const secret of [SANDBOX_BOT_TOKEN, SIGNING_SECRET, dbPassword]) expect(all).not.toContain(secret);
    // The signature of a request is as good as the secret for five minutes.
    expect(all).not.toMatch(/v0=[0-9a-f]{64}/);
  });
});

describe('the logger', () => {
  it('redacts secrets in the fields where they travel', () => {
    const lines: string[] = [];
    const log = createLogger(
      'info',
      new Writable({
        write(chunk, _e, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    log.info(
      {
        token: 'xoxb-1',
        headers: { authorization: 'Bearer xoxb-2', 'x-slack-signature': 'v0=abc' },
        config: { headers: { Authorization: 'Bearer xoxb-3' } },
        err: { config: { headers: { Authorization: 'Bearer xoxb-4' } } },
        connectionString: 'postgres://u:p@h/d',
      },
      'a call',
    );
    log.flush();
    const text = lines.join('');
    for (const s of ['xoxb-1', 'xoxb-2', 'xoxb-3', 'xoxb-4', 'v0=abc', 'u:p@h'])
      expect(text).not.toContain(s);
  });
});
