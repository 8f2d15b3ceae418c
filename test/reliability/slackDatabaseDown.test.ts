import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';
import { TcpProxy } from '../support/tcpProxy.ts';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let proxy: TcpProxy;
let bot: RunningBot;
let slack: FakeSlack;

const ADA = 'U0ADA00001';
const NOTHING_DONE =
  /not run: the audit log cannot be written right now, and dpbot does nothing it cannot record/;

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  fixture = createFixture({ config: { slack: { apiUrl: sim.apiUrl } } });
  database = await createTestDatabase();
  const proxied = await TcpProxy.forDatabase(database.url);
  proxy = proxied.proxy;
  bot = await startSlackBot(fixture, { ...database, url: proxied.url });
  slack = new FakeSlack(bot.server.url, sim);
}, 60_000);

afterAll(async () => {
  proxy.restore();
  await bot.stop({ drainMs: 0 });
  await proxy.stop();
  await sim.stop();
  await database.drop();
  fixture.remove();
});

describe('signed Slack requests while the database is unreachable', () => {
  it('a slash command is told, in the acknowledgement Slack shows, that nothing was done', async () => {
    proxy.cut();
    const r = await slack.slash('whoami', ADA);
    expect(r.status).toBe(200);
    expect(r.ack?.response_type).toBe('ephemeral');
    expect(r.ack?.text).toMatch(NOTHING_DONE);
  });

  it('a click is told through its response_url (Slack shows nothing of the acknowledgement)', async () => {
    proxy.cut();
    const r = await slack.click({ user: ADA, actionId: 'dp.run', value: 'whoami' });
    expect(r.status).toBe(200);
    // Sent after the acknowledgement, as Slack asks.
    const reply = await eventually(() => {
      const found = sim.responses.find((p) => p.id === r.responseId);
      expect(found).toBeDefined();
      return found;
    });
    expect(reply?.body).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(String(reply?.body.text)).toMatch(NOTHING_DONE);
  });

  it('a modal submission replaces the modal with the answer; an event is left for Slack to deliver again', async () => {
    proxy.cut();
    const submitted = await slack.submit(ADA, { callback_id: 'dp.command', state: { values: {} } });
    expect(submitted.status).toBe(200);
    const body = JSON.parse(submitted.body) as {
      response_action: string;
      view: { blocks: { text: { text: string } }[] };
    };
    expect(body.response_action).toBe('update');
    expect(body.view.blocks[0]?.text.text).toMatch(NOTHING_DONE);
    const event = await slack.event({ type: 'app_home_opened', user: ADA, tab: 'home', channel: 'D0ADA' });
    expect(event.status).toBe(503);
  });

  it('serves again once the database is back', async () => {
    proxy.restore();
    await eventually(async () => {
      const r = await slack.slash('whoami', ADA);
      expect(r.status).toBe(200);
      await eventually(() =>
        expect(sim.responses.find((p) => p.id === r.responseId)?.body.text).toContain('Ada Lovelace'),
      );
    }, 20_000);
    expect(await bot.app.services.audit.verify()).toMatchObject({ ok: true });
  });
});
