import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfigPath, loadConfig } from '../../app/config/loadConfig.ts';
import type { RunningBot } from '../../app/serve.ts';
import { CONFIRM_ACTION } from '../../pipeline/views/common.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { readmeSection } from '../support/readme.ts';
import { buttons } from '../support/release.ts';
import { FakeSlack, serveSandboxSlack, slackWithPeople } from '../support/slack.ts';

// Issue 28, item 7: the release channel stays readable. The README's weekly-release walkthrough,
// typed as slash commands into Slack in front of the sandbox (the example configuration, every
// system simulated), adds what the README says it adds to #releases — N + 1 top-level messages
// for N services, and the thread replies its table lists, each a sentence with people's names,
// each said once — and one notes message per stakeholder channel concerned.

const ADA = 'U0ADA00001';
const GRACE = 'U0GRACE001';
const LINUS = 'U0LINUS001';
const RELEASES = 'C0RELEASES';
const STAKEHOLDERS = { 'sales-ops': 'C0SALESOPS', 'data-consumers': 'C0CONSUMER', partners: 'C0PARTNERS' };

let sim: SlackSimulator;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;

beforeAll(async () => {
  sim = slackWithPeople().addChannel({ id: RELEASES, name: 'releases', botMember: true });
  for (const [name, id] of Object.entries(STAKEHOLDERS)) sim.addChannel({ id, name, botMember: true });
  await sim.start();
  database = await createTestDatabase();
  const loaded = loadConfig({ path: exampleConfigPath(), env: {} });
  bot = await serveSandboxSlack({
    loaded,
    sim,
    database,
    // What the messages say does not depend on how long an application stays healthy before it
    // counts as done, nor on how often the watcher looks, nor on how far apart the comments land on
    // the simulated GitHub: the sandbox's waits, for people, shortened.
    tune: (config) => {
      config.release.settleTime = 1_000;
      config.release.pollInterval = 300;
      config.github.spaceWrites = false;
    },
  });
  await bot.doctor.done;
  slack = new FakeSlack(bot.server.url, sim);
}, 60_000);
afterAll(async () => {
  await bot?.stop();
  await database?.drop();
  await sim?.stop();
});

/** A slash command typed in #releases; its acknowledgement and answers. */
async function slash(text: string, user: string) {
  const sent = await slack.slash(text, user, RELEASES);
  expect(sent.status).toBe(200);
  return eventually(() => {
    const answers = slack.responses(sent.responseId);
    expect(answers.length).toBeGreaterThan(0);
    return answers;
  }, 15_000);
}

describe('the release channel of a sandbox release, through Slack', () => {
  it('gets N + 1 top-level messages and the replies the README lists, each once, as sentences', async () => {
    const services = loadConfig({ path: exampleConfigPath(), env: {} }).config.release.services;
    const n = services.length;
    await slash('release start --since 14d', ADA);
    await slash('release include orders-api', GRACE);
    await slash('release skip ingest --reason "not this week"', GRACE);
    await slash('release include catalog', LINUS);
    const [question] = await slash('release ship', ADA);
    const confirm = buttons(question?.blocks as KnownBlock[]).find((b) => b.actionId === CONFIRM_ACTION);
    const confirmed = await slack.click({
      user: ADA,
      actionId: CONFIRM_ACTION,
      value: confirm?.value ?? '',
      channel: RELEASES,
      ephemeral: true,
    });
    // The question turns into "Confirmed by …" (the pipeline's), then the command answers.
    const shipAnswer = await eventually(() => {
      const answer = slack
        .responses(confirmed.responseId)
        .find((r) => String(r.text).startsWith('Release #1 ships now'));
      expect(answer).toBeDefined();
      return answer;
    }, 15_000);
    // Whoever shipped is told privately; the channel hears it once, in the release's thread.
    expect(shipAnswer?.response_type).not.toBe('in_channel');

    const topLevel = () => sim.messagesIn(RELEASES).filter((m) => !m.threadTs);
    const replies = () => sim.messagesIn(RELEASES).filter((m) => m.threadTs);
    const threadOf = (ts: string) => replies().filter((m) => m.threadTs === ts);
    // Shipped, and the fix version report (a background job of its own) is in.
    await eventually(
      () => {
        const texts = replies().map((m) => m.text);
        expect(texts.some((t) => t.startsWith('Release #1 shipped: every application is healthy.'))).toBe(
          true,
        );
        expect(texts.some((t) => t.startsWith('Jira'))).toBe(true);
      },
      120_000,
      500,
    );

    // N + 1 top-level messages: the release message and one per service.
    const tops = topLevel();
    expect(tops).toHaveLength(n + 1);
    const release = tops.find((m) => m.history[0]?.text.startsWith('Release #1'));
    const serviceMessage = (service: string) =>
      tops.find((m) => m.history[0]?.text.startsWith(`${service}: `));
    for (const s of services) expect(serviceMessage(s.name), s.name).toBeDefined();

    // The release message's thread: shipping, the fix version report, shipped.
    const releaseThread = threadOf(release?.ts ?? '').map((m) => m.text);
    expect(releaseThread).toEqual([
      expect.stringMatching(
        /^Ada Lovelace is shipping release #1: .*\. Progress is shown on the release message\.$/,
      ),
      expect.stringMatching(/^Jira/),
      expect.stringMatching(
        /^Release #1 shipped: every application is healthy\. .*Notes posted in #sales-ops, #data-consumers and #partners\.$/,
      ),
    ]);
    // Each service's thread: its decision, as a sentence naming the person.
    expect(threadOf(serviceMessage('orders-api')?.ts ?? '').map((m) => m.text)).toEqual([
      'Grace Hopper included orders-api in release #1.',
    ]);
    expect(threadOf(serviceMessage('ingest')?.ts ?? '').map((m) => m.text)).toEqual([
      'Grace Hopper skipped ingest in release #1: not this week.',
    ]);
    // catalog-worker is auto-synced: how it was synced is said in catalog's thread.
    expect(threadOf(serviceMessage('catalog')?.ts ?? '').map((m) => m.text)).toEqual([
      'Linus Torvalds included catalog in release #1.',
      expect.stringMatching(/^Auto-sync is on for catalog-worker/),
    ]);
    // As many replies as the README says: N decisions + shipping + fix version + shipped, and one
    // per auto-synced application.
    const autoSynced = 1;
    expect(replies()).toHaveLength(n + 3 + autoSynced);
    const readme = readmeSection('## The weekly release');
    expect(readme).toContain('adds **N + 1 top-level messages**');
    expect(readme).toContain(
      'adds N + 3 thread\nreplies (N + 2 without Jira), plus one per auto-synced application',
    );
    expect(readme).toMatch(/adds 4 top-level messages and 7 replies in `#releases`/);

    // No reply names a person by e-mail where the directory knows a name; nothing says "include by".
    const everything = sim.messagesIn(RELEASES).flatMap((m) => m.history.map((h) => h.text));
    expect(replies().filter((m) => /@example\.com/.test(m.text))).toEqual([]);
    expect(everything.filter((t) => /include by|skip by/.test(t))).toEqual([]);
    // "is shipping release #1" is said once, in the channel and in the answers alike.
    const answers = sim.responses.map((r) => String(r.body.text ?? ''));
    expect([...everything, ...answers].filter((t) => t.includes('is shipping release #1'))).toHaveLength(1);
    // One notes message in each stakeholder channel concerned.
    for (const id of Object.values(STAKEHOLDERS)) expect(sim.messagesIn(id), id).toHaveLength(1);

    // A rollback adds two replies in the service's thread — who rolled back what, then the
    // outcome — and no top-level message; Grace is answered privately.
    const [asked] = await slash('release rollback orders-api', GRACE);
    const yes = buttons(asked?.blocks as KnownBlock[]).find((b) => b.actionId === CONFIRM_ACTION);
    const rolled = await slack.click({
      user: GRACE,
      actionId: CONFIRM_ACTION,
      value: yes?.value ?? '',
      channel: RELEASES,
      ephemeral: true,
    });
    const told = await eventually(() => {
      const answer = slack
        .responses(rolled.responseId)
        .find((r) => String(r.text).startsWith('Grace Hopper rolled back orders-api'));
      expect(answer).toBeDefined();
      return answer;
    }, 15_000);
    expect(told?.response_type).not.toBe('in_channel');
    const ordersThread = () => threadOf(serviceMessage('orders-api')?.ts ?? '').map((m) => m.text);
    await eventually(
      () => expect(ordersThread().at(-1)).toMatch(/^Rollback of orders-api: back on \w{7} and Healthy\.$/),
      60_000,
      500,
    );
    expect(ordersThread()).toEqual([
      'Grace Hopper included orders-api in release #1.',
      expect.stringMatching(
        /^Grace Hopper rolled back orders-api \(orders-api\) of release #1 from \w{7} to \w{7}/,
      ),
      expect.stringMatching(/^Rollback of orders-api: back on/),
    ]);
    expect(topLevel()).toHaveLength(n + 1);
    expect(replies()).toHaveLength(n + 3 + autoSynced + 2);
    expect(sim.refused).toEqual([]);
  }, 180_000);
});
