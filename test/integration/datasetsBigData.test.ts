import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import { slackPayload } from '../../bot/slack/broadcasts.ts';
import type { Message } from '../../pipeline/message.ts';
import { actionKind } from '../../pipeline/message.ts';
import { PAGE_ACTION, VIEW_ACTION } from '../../pipeline/views/common.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { checkMessage } from '../../sandbox/slack/blockKitLimits.ts';
import { pressButton, startTestApp, typeCommand } from '../support/app.ts';
import { BIG_DATASET_COUNT, BIG_LATE_COUNT, BIG_NOW, bigCatalog, longName } from '../support/bigData.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture, standardPolicies } from '../support/fixture.ts';

// Issue 15, item 2: a catalog of 320 datasets with 120-character names, through the real
// pipeline; every answer is held to Slack's limits whether or not it reaches Slack.
const NOW = BIG_NOW;
const COUNT = BIG_DATASET_COUNT;
const items = bigCatalog();
const sorted = [...items].map((i) => i.name);
const lateCount = BIG_LATE_COUNT;

const catalog = catalogSimulator({ items, pagination: 'page' });
const argo = new ArgoSimulator({ token: 'argo-secret' });
let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  await catalog.start();
  await argo.start();
  fixture = createFixture({
    policies: { 'platform.yaml': standardPolicies },
    config: {
      datasets: {
        pageSize: 20,
        catalog: { ...SIMULATED_CATALOG, url: catalog.url, timeout: '5s' },
        argo: { url: argo.url, timeout: '2s' },
      },
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { now: () => NOW, env: { ARGO_TOKEN: 'argo-secret' } });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
  await catalog.stop();
  await argo.stop();
});

async function run(text: string): Promise<{ outcome: string; message: Message }> {
  const { outcome, responder } = await typeCommand(app, text, { email: 'ada@example.com', channel: 'C1' });
  return { outcome, message: responder.sent[0]?.message as Message };
}

const click = (value: string) => pressButton(app, value, { email: 'ada@example.com', channel: 'C1' });

function buttons(message: Message): { text: string; value: string }[] {
  const out: { text: string; value: string }[] = [];
  const add = (el: unknown) => {
    const b = el as { type?: string; text?: { text: string }; value?: string; action_id?: string };
    if (b.type === 'button' && [VIEW_ACTION, PAGE_ACTION].includes(actionKind(b.action_id ?? '')))
      out.push({ text: b.text?.text ?? '', value: b.value ?? '' });
  };
  for (const block of (message.blocks ?? []) as KnownBlock[]) {
    if (block.type === 'section' && block.accessory) add(block.accessory);
    if (block.type === 'actions') for (const el of block.elements) add(el);
  }
  return out;
}

/** The dataset names a `datasets` answer lists, from its text. */
const listed = (message: Message) =>
  message.text.split('\n').flatMap((line) => {
    const m = /^(?:🔴|🟠|⚪|🟢) (\S+) · /u.exec(line);
    return m?.[1] ? [m[1]] : [];
  });

const withinLimits = (message: Message) =>
  expect(checkMessage(slackPayload(message)), message.text.slice(0, 200)).toEqual([]);

describe('datasets with 320 datasets of 120-character names', () => {
  it('shows a page of 20, problems first, the count of the rest, and Next to get them', async () => {
    const first = await run('datasets');
    expect(first.outcome).toBe('ok');
    withinLimits(first.message);
    expect(first.message.text.split('\n')[0]).toBe(`Datasets: ${COUNT} · page 1 of 16`);
    expect(first.message.text).toContain(`🟠 ${lateCount} late · 🟢 ${COUNT - lateCount} ok`);
    const names = listed(first.message);
    expect(names).toHaveLength(20);
    expect(names.every((n) => n.length === 120)).toBe(true);
    const values = buttons(first.message).map((b) => b.value);
    expect(values).toEqual([...names.map((n) => `dataset ${n}`), 'datasets page=2']);
  });

  it('walks all 16 pages with Next and back with Previous, each within the limits, every dataset once', async () => {
    const seen: string[] = [];
    let page = await run('datasets');
    for (let n = 1; ; n++) {
      withinLimits(page.message);
      expect(page.message.text.split('\n')[0]).toBe(`Datasets: ${COUNT} · page ${n} of 16`);
      seen.push(...listed(page.message));
      const next = buttons(page.message).find((b) => b.text === 'Next ›');
      if (!next) break;
      expect(next.value).toBe(`datasets page=${n + 1}`);
      page = await click(next.value);
      expect(page.outcome).toBe('ok');
    }
    expect(seen).toHaveLength(COUNT);
    expect([...seen].sort()).toEqual([...sorted].sort());
    expect(buttons(page.message).map((b) => b.text)).toEqual([...Array(20).fill('Details'), '‹ Previous']);
    const back = await click(buttons(page.message).find((b) => b.text === '‹ Previous')?.value ?? '');
    expect(back.message.text.split('\n')[0]).toBe(`Datasets: ${COUNT} · page 15 of 16`);
  });

  it('filters by team and words with long names, still paged', async () => {
    const sales = await run('datasets team=sales');
    withinLimits(sales.message);
    expect(sales.message.text.split('\n')[0]).toBe('Datasets (team=sales): 80 · page 1 of 4');
    expect(buttons(sales.message).at(-1)?.value).toBe('datasets team=sales page=2');
    const one = await run(`datasets ${longName('risk', 7)}`);
    withinLimits(one.message);
    expect(listed(one.message)).toEqual([longName('risk', 7)]);
  });

  it('`dataset <name>` of a 120-character name shows it whole, within the limits', async () => {
    const name = longName('finance', 9);
    const r = await run(`dataset ${name}`);
    expect(r.outcome).toBe('ok');
    withinLimits(r.message);
    expect(r.message.text.split('\n')[0]).toMatch(new RegExp(`^${name.replaceAll('.', '\\.')}: 🟢 ok — `));
    const header = r.message.blocks?.[0];
    expect(header?.type === 'header' ? header.text.text : '').toBe(name);
    expect(buttons(r.message)).toEqual([{ text: 'All of finance', value: 'datasets team=finance' }]);
  });

  it('`dataset <name>` with 300 tags keeps every field within 2,000 characters, the text whole', async () => {
    const name = longName('finance', 1);
    const r = await run(`dataset ${name}`);
    expect(r.outcome).toBe('ok');
    withinLimits(r.message);
    expect(r.message.text).toContain('tag-with-a-long-name-299');
    const fields = (r.message.blocks ?? []).flatMap((b) =>
      b.type === 'section' && b.fields ? b.fields.map((f) => f.text) : [],
    );
    const tags = fields.find((f) => f.startsWith('*Tags*'));
    expect(tags?.startsWith('*Tags*\ntag-with-a-long-name-0, ')).toBe(true);
    expect(tags?.endsWith('…')).toBe(true);
  });

  it('a mistyped long name is answered with the nearest names, within the limits', async () => {
    const r = await run(`dataset ${longName('risk', 3).slice(0, 119)}x`);
    expect(r.outcome).not.toBe('ok');
    withinLimits(r.message);
    expect(r.message.text).toContain(`did you mean "${longName('risk', 3)}"`);
  });
});
