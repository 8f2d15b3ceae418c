import type { ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { type DpbotProcess, slackPortOf, startDpbotProcess } from '../support/dpbotProcess.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, SIGNING_SECRET, slackWithPeople } from '../support/slack.ts';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let child: ChildProcess;
let bot: DpbotProcess;
let botUrl = '';

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  bot = startDpbotProcess({ configPath: fixture.configPath, databaseUrl: database.url });
  child = bot.child;
  const port = await eventually(() => {
    const found = slackPortOf(bot);
    expect(found, JSON.stringify(bot.lines.slice(-5))).toBeGreaterThan(0);
    return found;
  }, 60_000);
  botUrl = `http://127.0.0.1:${port}`;
}, 90_000);

afterAll(async () => {
  if (child.exitCode === null) child.kill('SIGKILL');
  await sim.stop();
  await database.drop();
  fixture.remove();
});

/** Signs the bytes exactly as sent, as Slack does. */
async function sendSigned(body: Buffer | string, contentType: string | undefined): Promise<number> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', SIGNING_SECRET)
    .update(Buffer.concat([Buffer.from(`v0:${timestamp}:`), bytes]))
    .digest('hex');
  const headers: Record<string, string> = {
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': `v0=${mac}`,
  };
  if (contentType) headers['content-type'] = contentType;
  const response = await fetch(`${botUrl}/slack/events`, { method: 'POST', headers, body: bytes });
  await response.arrayBuffer();
  return response.status;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('signed but malformed Slack requests', () => {
  it('are answered 4xx, and the process keeps serving', async () => {
    const cases: [string, Buffer | string, string | undefined][] = [
      ['payload=null', form({ payload: 'null' }), FORM],
      ['JSON null', 'null', JSON_TYPE],
      ['payload="x"', form({ payload: '"x"' }), FORM],
      ['payload=[]', form({ payload: '[]' }), FORM],
      ['payload={}', form({ payload: '{}' }), FORM],
      ['payload=7', form({ payload: '7' }), FORM],
      ['payload not JSON', form({ payload: '{"type":' }), FORM],
      ['two payloads', 'payload=%7B%7D&payload=%7B%7D', FORM],
      ['JSON body not JSON', '{"type": "event_callback"', JSON_TYPE],
      ['JSON array', '[]', JSON_TYPE],
      ['JSON string', '"x"', JSON_TYPE],
      ['JSON object without type', '{"event": null}', JSON_TYPE],
      ['form without command', form({ text: 'help', user_id: 'U0ADA00001' }), FORM],
      ['empty body', '', FORM],
      ['wrong content type', form({ command: '/dp', text: 'help' }), 'text/plain'],
      ['no content type', 'null', undefined],
      ['not UTF-8', Buffer.from([0x70, 0x61, 0x79, 0x6c, 0x6f, 0x61, 0x64, 0x3d, 0xff, 0xfe]), FORM],
      ['huge body', `payload=${'x'.repeat(2 * 1024 * 1024)}`, FORM],
    ];
    for (const [what, body, contentType] of cases) {
      const status = await sendSigned(body, contentType).catch(
        (error: unknown) => `failed: ${String(error)}`,
      );
      expect([what, status]).toEqual([
        what,
        expect.toSatisfy((s) => typeof s === 'number' && s >= 400 && s < 500),
      ]);
      expect([what, child.exitCode]).toEqual([what, null]);
    }

    // Still alive and still answering a real command.
    const slack = new FakeSlack(botUrl, sim);
    const reply = await slack.slash('whoami', 'U0ADA00001');
    expect(reply.status).toBe(200);
    await eventually(() => expect(slack.responses(reply.responseId)).toHaveLength(1));
    expect(child.exitCode).toBeNull();
    expect((await fetch(`${botUrl}/healthz`)).status).toBe(200);
  }, 60_000);
});
