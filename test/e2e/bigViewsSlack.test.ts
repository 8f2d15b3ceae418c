import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import type { RunningBot } from '../../app/serve.ts';
import { VIEW_ACTION } from '../../pipeline/views/common.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { DEMO_NAMESPACE } from '../../sandbox/argo/demoTemplates.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { checkMessage, checkView } from '../../sandbox/slack/blockKitLimits.ts';
import type { SlackSimulator } from '../../sandbox/slack/slackSimulator.ts';
import { BIG_DATASET_COUNT, BIG_TASK, bigCatalog, bigTask, choreTasks, REGIONS } from '../support/bigData.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';
import { FakeSlack, slackWithPeople, startSlackBot } from '../support/slack.ts';

// Issue 15, item 2, as Slack sees it: the big lists and the big form reach the Slack simulator,
// which holds every payload to Slack's documented limits (test/support/slackLimits.ts fails the
// test on a violation) and answers invalid_blocks as Slack would.
const ADA = 'U0ADA00001';

let sim: SlackSimulator;
let fixture: Fixture;
let database: TestDatabase;
let bot: RunningBot;
let slack: FakeSlack;
// Freshness is judged at the real time here: the catalog's datasets are late or not, either way listed.
const catalog = catalogSimulator({ items: bigCatalog(), pagination: 'page' });
const argo = new ArgoSimulator({});

beforeAll(async () => {
  sim = slackWithPeople();
  await sim.start();
  await catalog.start();
  await argo.start();
  fixture = createFixture({
    config: {
      slack: { apiUrl: sim.apiUrl, updateInterval: '300ms' },
      datasets: {
        pageSize: 20,
        catalog: { ...SIMULATED_CATALOG, url: catalog.url, timeout: '5s' },
        argo: { url: argo.url, timeout: '2s' },
      },
      argo: { url: argo.url, namespace: DEMO_NAMESPACE, timeout: '2s' },
      tasks: [bigTask('echo'), ...choreTasks('echo')],
    },
    policies: { 'platform.yaml': standardPolicies },
  });
  database = await createTestDatabase();
  bot = await startSlackBot(fixture, database);
  slack = new FakeSlack(bot.server.url, sim);
});

afterAll(async () => {
  await bot.stop();
  await sim.stop();
  await catalog.stop();
  await argo.stop();
  await database.drop();
  fixture.remove();
});

type Reply = { text?: string; blocks?: unknown[] };

/** The one reply to a slash command or click, as posted to its response_url. */
async function reply(responseId: string): Promise<Reply> {
  const [body] = await eventually(() => {
    const bodies = slack.responses(responseId);
    expect(bodies).toHaveLength(1);
    return bodies;
  });
  const r = (body ?? {}) as Reply;
  expect(checkMessage(r as Record<string, unknown>)).toEqual([]);
  return r;
}

/** The value of the button labelled `label` in a reply's blocks. */
function button(r: Reply, label: string): string | undefined {
  const json = JSON.stringify(r.blocks ?? []);
  const m = new RegExp(`"text":\\{"type":"plain_text","text":"${label}"[^}]*\\}[^}]*?"value":"([^"]+)"`).exec(
    json,
  );
  return m?.[1];
}

describe('big views through Slack', () => {
  it('/dp datasets: 320 datasets of 120-character names, a page of 20 with Next, and Next works', async () => {
    const first = await slack.slash('datasets', ADA);
    const page1 = await reply(first.responseId);
    expect(page1.text?.split('\n')[0]).toBe(`Datasets: ${BIG_DATASET_COUNT} · page 1 of 16`);
    const next = button(page1, 'Next ›');
    expect(next).toBe('datasets page=2');
    const clicked = await slack.click({ user: ADA, actionId: VIEW_ACTION, value: next ?? '' });
    expect(clicked.status).toBe(200);
    const page2 = await reply(clicked.responseId);
    expect(page2.text?.split('\n')[0]).toBe(`Datasets: ${BIG_DATASET_COUNT} · page 2 of 16`);
    expect(button(page2, '‹ Previous')).toBe('datasets page=1');
  });

  it('/dp task list: 38 tasks, 20 a page, the rest counted with the command for them', async () => {
    const r = await slack.slash('task list', ADA);
    const page1 = await reply(r.responseId);
    expect(page1.text?.split('\n')[0]).toBe('Tasks you may run: 38 · page 1 of 2:');
    expect(page1.text).toContain('18 more: task list page=2');
    expect(button(page1, 'Next ›')).toBe('task list page=2');
  });

  it(`/dp task run ${BIG_TASK}: the form of 25 parameters opens (views.open accepted), 300 values typed`, async () => {
    const r = await slack.slash(`task run ${BIG_TASK}`, ADA);
    const opened = await eventually(() => {
      const v = sim.openedViews.find((o) => o.triggerId === r.triggerId);
      expect(v).toBeDefined();
      return v;
    });
    expect(checkView(opened?.view)).toEqual([]);
    const json = JSON.stringify(opened?.view);
    expect(json).toContain(`and 290 more (\\"task list ${BIG_TASK} region\\" lists them)`);
    expect(json).toContain(REGIONS[9]);
    expect(json).not.toContain(REGIONS[10]);
  });

  it(`/dp task list ${BIG_TASK} region: the 300 values, 100 a page`, async () => {
    const r = await slack.slash(`task list ${BIG_TASK} region`, ADA);
    const page1 = await reply(r.responseId);
    expect(page1.text?.split('\n')[0]).toBe(`${BIG_TASK} region: 300 value(s) · 1–100, page 1 of 3`);
    expect(button(page1, 'Next ›')).toBe(`task list ${BIG_TASK} region page=2`);
  });
});
