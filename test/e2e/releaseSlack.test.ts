import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBot } from '../../app/serve.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import type { PostedMessage, SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import type { Fixture } from '../support/fixture.ts';
import {
  buttons,
  RELEASE_ENV,
  type ReleaseSimulators,
  releaseFixture,
  SINCE,
  startReleaseSimulators,
} from '../support/release.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// Issue 27, item 7: the weekly release in a workspace as strict as Slack — chat.update takes
// channel IDs only — with the configuration naming every channel by name (#releases, #sales-ops,
// …), driven end to end by signed Slack requests into the running bot.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const LINUS = 'U0LINUS001';
const RELEASES = 'C0RELEASES';
/** The owner who clicks Include on each service's message. */
const OWNERS: Record<string, string> = { 'orders-api': GRACE, ingest: GRACE, catalog: LINUS };

let sim: SlackSimulator;
let sims: ReleaseSimulators;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople()
    .addChannel({ id: RELEASES, name: 'releases', botMember: true })
    // A public channel dpbot was never invited to: chat:write.public lets it post there.
    .addChannel({ id: 'C0SALESOPS', name: 'sales-ops', botMember: false })
    .addChannel({ id: 'C0CONSUMER', name: 'data-consumers', botMember: true })
    .addChannel({ id: 'G0PARTNERS', name: 'partners', botMember: true, private: true });
  await sim.start();
  sims = await startReleaseSimulators();
  fixture = releaseFixture(sims, { top: { slack: { apiUrl: sim.apiUrl, updateInterval: '300ms' } } });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database, { env: RELEASE_ENV });
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot?.stop();
  await database?.drop();
  await Promise.all([sim?.stop(), sims?.github.stop(), sims?.argocd.stop()]);
  fixture?.remove();
});

const topLevel = () => sim.messagesIn(RELEASES).filter((m) => !m.threadTs);
const releaseMessage = () => topLevel().find((m) => m.history[0]?.text.startsWith('Release #1'));
const serviceMessage = (service: string) =>
  topLevel().find((m) => m.history[0]?.text.startsWith(`${service}: `));
const buttonOf = (m: PostedMessage | undefined, label: string) =>
  buttons(m?.blocks as KnownBlock[] | undefined).find((b) => b.label === label);

describe('the weekly release in a strict workspace, channels configured by name', () => {
  it('posts, updates and ships through chat.update with channel IDs, and Slack refuses nothing', async () => {
    const started = await slack.slash(`release start --since ${SINCE}`, ADA, RELEASES);
    expect(started.status).toBe(200);
    await eventually(() => {
      expect(releaseMessage()).toBeDefined();
      for (const service of Object.keys(OWNERS)) expect(serviceMessage(service)).toBeDefined();
    });
    // What dpbot keeps is the channel's ID, as Slack answered it.
    const row = await database.query<{ channel: string }>('SELECT channel FROM releases WHERE id = 1');
    expect(row.rows[0]?.channel).toBe(RELEASES);

    // Each owner presses Include on their service's message; the message drops its buttons.
    for (const [service, owner] of Object.entries(OWNERS)) {
      const message = serviceMessage(service);
      const include = buttonOf(message, 'Include');
      expect(include, service).toBeDefined();
      const clicked = await slack.click({
        user: owner,
        actionId: include?.actionId ?? '',
        value: include?.value ?? '',
        channel: RELEASES,
        messageTs: message?.ts ?? '',
      });
      expect(clicked.status).toBe(200);
      await eventually(() =>
        expect(JSON.stringify(serviceMessage(service)?.blocks)).toContain('included by'),
      );
    }
    await eventually(() => {
      for (const service of Object.keys(OWNERS))
        expect(releaseMessage()?.text).toMatch(new RegExp(`${service}: \\d+ PRs, included by `));
    });

    // Ship, from the release message's button, confirmed in the ephemeral question.
    const ship = buttonOf(releaseMessage(), 'Ship');
    const asked = await slack.click({
      user: ADA,
      actionId: ship?.actionId ?? '',
      value: ship?.value ?? '',
      channel: RELEASES,
      messageTs: releaseMessage()?.ts ?? '',
    });
    const question = await eventually(() => {
      const [reply] = slack.responses(asked.responseId);
      expect(reply?.text).toMatch(/^Confirm: Ship release #1/);
      return reply;
    });
    const confirm = buttons(question?.blocks as KnownBlock[]).find((b) => b.actionId === CONFIRM_ACTION);
    await slack.click({
      user: ADA,
      actionId: CONFIRM_ACTION,
      value: confirm?.value ?? '',
      channel: RELEASES,
      ephemeral: true,
    });

    await eventually(
      async () => {
        const r = await database.query(
          'SELECT status, notes_posted_at IS NOT NULL AS told FROM releases WHERE id = 1',
        );
        expect(r.rows[0]).toEqual({ status: 'shipped', told: true });
      },
      30_000,
      200,
    );

    // The release message ends Shipped, every application healthy, with its Rollback buttons.
    await eventually(() => {
      const message = releaseMessage();
      expect(message?.text.split('\n')[0]).toBe(
        `Release #1 — ${new Date().toISOString().slice(0, 10)}: Shipped`,
      );
      expect(message?.text).not.toMatch(/syncing|waiting/);
      const rollbacks = buttons(message?.blocks as KnownBlock[])
        .filter((b) => b.label.startsWith('Rollback '))
        .map((b) => b.label);
      expect(rollbacks.sort()).toEqual(
        ['Rollback catalog-api', 'Rollback catalog-worker', 'Rollback orders-api', 'Rollback ingest'].sort(),
      );
    }, 10_000);
    // Every service message shows its final state: decided, no buttons left.
    for (const service of Object.keys(OWNERS)) {
      const message = serviceMessage(service);
      expect(JSON.stringify(message?.blocks)).toContain('included by');
      expect(buttons(message?.blocks as KnownBlock[])).toEqual([]);
    }
    // Stakeholders got their notes in the channels the configuration names: public, never joined;
    // public; private.
    expect(sim.messagesIn('C0SALESOPS')).toHaveLength(1);
    expect(sim.messagesIn('C0CONSUMER')).toHaveLength(1);
    expect(sim.messagesIn('G0PARTNERS')).toHaveLength(1);

    // Not one call was refused: no name where Slack wants an ID, no rate limit met.
    expect(sim.refused).toEqual([]);
    expect(sim.callsByMethod().get('chat.update')).toBeGreaterThan(0);
  }, 90_000);
});
