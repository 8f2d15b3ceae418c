import type { KnownBlock } from '@slack/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import { DATASET_OPTIONS_ACTION, datasetOptions } from '../../handlers/datasets/options.ts';
import { capabilities } from '../../handlers/index.ts';
import type { Message } from '../../pipeline/message.ts';
import { actionKind } from '../../pipeline/message.ts';
import { PAGE_ACTION, RUN_ACTION, VIEW_ACTION } from '../../pipeline/views/common.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';
import { auditRowsOf, recordingResponder, startTestApp, typeCommand } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { createFixture, type Fixture, standardDirectory, standardPolicies } from '../support/fixture.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const world = generateDemoWorld({ now: NOW });
const catalog = catalogSimulator({ items: world.items, pagination: 'page' });
const argo = new ArgoSimulator({
  cronWorkflows: world.cronWorkflows,
  workflows: world.workflows,
  token: 'argo-secret',
});
const PAGES = Math.ceil(world.items.length / 100);
const NAMESPACES = new Set(Object.values(world.producers).map((p) => p.namespace)).size;
const MINUTE = 60_000;

/** Datasets whose producer cannot work: their status must be failed whatever the time. */
const failedNames = Object.entries(world.scenarios)
  .filter(([, s]) => s === 'failed' || s === 'cannot-submit')
  .map(([name]) => name);
const failedIn = (team: string) => failedNames.filter((n) => n.startsWith(`${team}.`));
const pick = (scenario: string) => Object.entries(world.scenarios).find(([, s]) => s === scenario)?.[0] ?? '';

let clock = NOW;
let fixture: Fixture;
let database: TestDatabase;
let app: App;

beforeAll(async () => {
  await catalog.start();
  await argo.start();
  fixture = createFixture({
    directory: {
      users: [...standardDirectory.users, { email: 'vera@example.com', name: 'Vera Visitor' }],
      groups: standardDirectory.groups,
    },
    policies: {
      'platform.yaml': standardPolicies,
      'datasets.yaml': {
        grants: [{ group: 'file:engineering', actions: ['datasets.read'], resources: ['dataset:*'] }],
      },
    },
    config: {
      datasets: {
        cacheTtl: '60s',
        errorTtl: '15s',
        maxStale: '10m',
        pageSize: 10,
        runsShown: 3,
        catalog: { ...SIMULATED_CATALOG, url: catalog.url, timeout: '5s' },
        argo: { url: argo.url, timeout: '2s' },
        producers: world.producers,
        quickActions: [
          {
            label: 'Backfill',
            command: 'task run backfill dataset={name}',
            action: 'tasks.run',
            resource: 'task:backfill',
          },
        ],
      },
    },
  });
  database = await createTestDatabase();
  app = await startTestApp(fixture, database, { now: () => clock, env: { ARGO_TOKEN: 'argo-secret' } });
});
afterAll(async () => {
  await app.close();
  await database.drop();
  fixture.remove();
  await catalog.stop();
  await argo.stop();
});
beforeEach(() => {
  // Every test starts with a cold cache (past the TTL and past maxStale) and healthy sources.
  clock = new Date(clock.getTime() + 11 * MINUTE);
  catalog.clearFaults();
  argo.clearFaults();
});

async function run(text: string, email = 'ada@example.com') {
  const { outcome, responder, requestId } = await typeCommand(app, text, { email, channel: 'C1' });
  return { outcome, ...(await answer(responder, requestId)) };
}

/** Navigation buttons (pages, details) are view buttons: pressing one again works again. */
async function click(value: string, email: string) {
  const responder = recordingResponder();
  const requestId = crypto.randomUUID();
  const outcome = await app.pipeline.handleAction({
    requestId,
    entry: 'button',
    actionId: VIEW_ACTION,
    value,
    caller: { email },
    channel: 'C1',
    responder,
  });
  return { outcome, ...(await answer(responder, requestId)) };
}

async function answer(responder: ReturnType<typeof recordingResponder>, requestId: string) {
  const audit = await auditRowsOf(
    database,
    requestId,
    'kind, entry, decision, outcome, error, email, action, resource, command',
  );
  const message = responder.sent[0]?.message as Message;
  return { message, text: message?.text ?? '', audit };
}

/** Every button of a message: label and the command it runs. */
function buttons(message: Message): { text: string; value: string }[] {
  const out: { text: string; value: string }[] = [];
  const add = (el: unknown) => {
    const b = el as { type?: string; text?: { text: string }; value?: string; action_id?: string };
    const kind = actionKind(b.action_id ?? '');
    if (b.type === 'button' && (kind === RUN_ACTION || kind === VIEW_ACTION || kind === PAGE_ACTION))
      out.push({ text: b.text?.text ?? '', value: b.value ?? '' });
  };
  for (const block of (message.blocks ?? []) as KnownBlock[]) {
    if (block.type === 'section' && block.accessory) add(block.accessory);
    if (block.type === 'actions') for (const el of block.elements) add(el);
  }
  return out;
}

/** The dataset lines of a `datasets` answer. */
function listed(text: string): { name: string; team: string; status: string }[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(?:🔴|🟠|⚪|🟢) (\S+) · (\S+) · (\w+) — /u.exec(line);
    return m ? [{ name: m[1] as string, team: m[2] as string, status: m[3] as string }] : [];
  });
}
const total = (text: string) => Number(/: (\d+) · page \d+ of \d+/.exec(text)?.[1] ?? Number.NaN);
const listRequests = () => catalog.requests.filter((r) => r.path === '/api/v1/datasets').length;

describe('datasets', () => {
  it('lists every dataset, problems first, with counts, freshness and buttons, and audits it', async () => {
    const r = await run('datasets');
    expect(r.outcome).toBe('ok');
    expect(r.text.split('\n')[0]).toBe(
      `Datasets: ${world.items.length} · page 1 of ${Math.ceil(world.items.length / 10)}`,
    );
    expect(r.text).toContain(`🔴 ${failedNames.length} failed`);
    const rows = listed(r.text);
    expect(rows).toHaveLength(10);
    expect(rows.every((row) => row.status === 'failed' && failedNames.includes(row.name))).toBe(true);
    expect(r.text).toContain('as of 0s ago');
    const values = buttons(r.message).map((b) => b.value);
    expect(values).toEqual([...rows.map((row) => `dataset ${row.name}`), 'datasets page=2']);
    expect(r.message.blocks?.length).toBeLessThanOrEqual(50);
    expect(r.audit).toEqual([
      expect.objectContaining({
        kind: 'attempt',
        decision: 'allow',
        action: 'datasets.read',
        resource: 'dataset:*',
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
  });

  it('filters by team, status, tag and words, each narrowing to exactly what matches', async () => {
    const sales = await run('datasets team=sales status=failed');
    expect(total(sales.text)).toBe(failedIn('sales').length);
    expect(
      listed(sales.text)
        .map((r) => r.name)
        .sort(),
    ).toEqual(failedIn('sales').sort());

    const team = await run('datasets team=SALES');
    expect(total(team.text)).toBe(world.items.filter((i) => i.team === 'sales').length);

    const piiGold = world.items.filter((i) => i.tags.includes('pii')).length;
    expect(total((await run('datasets tag=pii')).text)).toBe(piiGold);

    // Every word must match (name, description, owner, team or tags).
    const words = await run('datasets refunds_hourly q=payments');
    expect(listed(words.text).map((r) => r.name)).toEqual(['payments.refunds_hourly']);
    expect((await run('datasets refunds_hourly q=sales')).text).toContain(
      'No datasets match matching "refunds_hourly sales"',
    );

    const late = await run('datasets status=late');
    const stale = await run('datasets status=stale');
    expect(total(stale.text)).toBe(total(late.text));
    expect(total(late.text)).toBeGreaterThan(0);
    expect(listed(late.text).every((r) => r.status === 'late')).toBe(true);

    const none = await run('datasets team=nope');
    expect(none.outcome).toBe('ok');
    expect(none.text).toContain('No datasets match team=nope');
    expect(none.text).toContain(
      'There is no team "nope" in the catalog; teams: finance, logistics, marketing',
    );
  });

  it('pages with Next and Previous buttons that run as the person who clicks', async () => {
    const first = await run('datasets status=failed,late');
    const count = total(first.text);
    const next = buttons(first.message).find((b) => b.text === 'Next ›');
    expect(next?.value).toBe('datasets status=failed,late page=2');
    const seen = listed(first.text).map((r) => r.name);
    let value = next?.value;
    let page = 1;
    let last = first;
    while (value) {
      last = await click(value, 'linus@example.com');
      page++;
      expect(last.outcome).toBe('ok');
      expect(last.text.split('\n')[0]).toContain(`page ${page} of`);
      seen.push(...listed(last.text).map((r) => r.name));
      value = buttons(last.message).find((b) => b.text === 'Next ›')?.value;
    }
    expect(seen).toHaveLength(count);
    expect(new Set(seen).size).toBe(count);
    // Problems first across pages: every failed dataset comes before every late one.
    const statuses = [first, last].flatMap((p) => listed(p.text).map((r) => r.status));
    expect(statuses.indexOf('late')).toBeGreaterThan(statuses.lastIndexOf('failed'));
    expect(buttons(last.message).find((b) => b.text === '‹ Previous')?.value).toBe(
      `datasets status=failed,late page=${page - 1}`,
    );
    expect(last.audit).toEqual([
      expect.objectContaining({
        kind: 'attempt',
        entry: 'button',
        email: 'linus@example.com',
        decision: 'allow',
      }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);
  });

  it('a typed page past the end is refused with the last page named; a stale button shows the last page', async () => {
    const typed = await run('datasets team=sales status=failed page=9');
    expect(typed.outcome).toBe('rejected');
    expect(typed.text).toContain('page 9 is past the last page (1)');
    expect(typed.audit.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'rejected' });
    const clicked = await click('datasets team=sales status=failed page=9', 'ada@example.com');
    expect(clicked.outcome).toBe('ok');
    expect(clicked.text).toContain('page 9 no longer exists; this is the last');
  });

  it.each([
    ['datasets status=bogus', 'status: "bogus" is not a status: use failed, late (or stale), unknown or ok'],
    ['datasets page=0', 'page: '],
    ['datasets page=two', 'page: '],
    ['datasets owner=ada', 'unknown filter "owner=ada": datasets takes team=, status=, tag=, q= and page='],
    ['dataset', 'name: missing'],
    ['dataset "orders; drop"', 'name: expected a dataset name such as sales.orders'],
  ])('rejects %s with what to do, audited as invalid', async (text, problem) => {
    const before = listRequests();
    const r = await run(text);
    expect(r.outcome).toBe('invalid');
    expect(r.text).toContain(problem);
    expect(r.text).toContain('Usage: ');
    expect(r.audit).toEqual([expect.objectContaining({ kind: 'attempt', decision: 'invalid' })]);
    expect(listRequests()).toBe(before);
  });

  it('denies people without datasets.read, naming the action, and audits it', async () => {
    const r = await run('datasets', 'vera@example.com');
    expect(r.outcome).toBe('denied');
    expect(r.text).toContain('datasets needs the datasets.read action on dataset:*');
    expect(r.audit).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'deny', email: 'vera@example.com' }),
    ]);
  });
});

describe('dataset <name>', () => {
  it('shows status, owner, how late, last runs, and quick actions only to those who may', async () => {
    const name = pick('failed');
    const item = world.items.find((i) => i.name === name);
    const runs = world.workflows
      .filter(
        (w) =>
          w.metadata.labels?.['workflows.argoproj.io/cron-workflow'] === world.producers[name]?.cronWorkflow,
      )
      .filter((w) => w.metadata.namespace === world.producers[name]?.namespace)
      .sort((a, b) => b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp));
    const ada = await run(`dataset ${name}`);
    expect(ada.outcome).toBe('ok');
    expect(ada.text).toMatch(
      new RegExp(`^${name.replace('.', '\\.')}: 🔴 failed — last run (failed|errored) `),
    );
    expect(ada.text).toContain(`Owner: ${item?.owner.email}`);
    expect(ada.text).toContain(`Team: ${item?.team}`);
    expect(ada.text).toContain(
      `Producer: CronWorkflow ${world.producers[name]?.namespace}/${world.producers[name]?.cronWorkflow}`,
    );
    expect(ada.text).toContain(`Tier: ${item?.tier}`);
    const runLines = ada.text.split('\n').slice(ada.text.split('\n').indexOf('Last runs:') + 1, -1);
    expect(runLines.slice(0, 3).map((l) => l.split(' · ')[1])).toEqual(
      runs.slice(0, 3).map((w) => w.metadata.name),
    );
    expect(runLines[0]).toMatch(/^❌ (Failed|Error) · /);
    expect(buttons(ada.message)).toEqual([
      { text: 'Backfill', value: `task run backfill dataset=${name}` },
      { text: `All of ${item?.team}`, value: `datasets team=${item?.team}` },
    ]);
    expect(ada.audit).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'allow', resource: `dataset:${name}` }),
      expect.objectContaining({ kind: 'outcome', outcome: 'ok' }),
    ]);

    const linus = await run(`dataset ${name}`, 'linus@example.com');
    expect(buttons(linus.message).map((b) => b.text)).toEqual([`All of ${item?.team}`]);
  });

  it('says how late a late dataset is, and when a dataset is due', async () => {
    const late = await run(`dataset ${pick('late')}`);
    expect(late.text).toMatch(/🟠 late — late by \d/);
    expect(late.text).toMatch(/Late since: \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(/);
    const unknown = await run(`dataset ${pick('missing-producer')}`);
    expect(unknown.text).toContain('⚪ unknown — CronWorkflow');
    expect(unknown.text).toContain('not found in Argo Workflows');
  });

  it('a name the catalog does not know: unknown before authorizing, with suggestions, audited', async () => {
    const r = await run('dataset payments.refunds_hourlyy');
    expect(r.outcome).toBe('invalid');
    expect(r.text).toContain(
      'there is no dataset "payments.refunds_hourlyy"; did you mean "payments.refunds_hourly"',
    );
    expect(r.audit.at(-1)).toMatchObject({ kind: 'attempt', outcome: 'unknown_resource' });
  });
});

describe('fast with slow sources', () => {
  it('answers from the cache within its TTL, says how old the data is, and refreshes after', async () => {
    const before = listRequests();
    expect((await run('datasets')).text).toContain('as of 0s ago');
    expect(listRequests() - before).toBe(PAGES);

    // The catalog changes; within the TTL dpbot does not ask again and says how old its answer is.
    const moved = world.items.find((i) => i.team === 'finance');
    if (!moved) throw new Error('no finance dataset');
    const original = moved.team;
    moved.team = 'treasury';
    try {
      clock = new Date(clock.getTime() + 30_000);
      const cached = await run('datasets team=treasury');
      expect(cached.text).toContain('No datasets match team=treasury (of ');
      expect(cached.text).toContain('as of 30s ago');
      expect(listRequests() - before).toBe(PAGES);

      clock = new Date(clock.getTime() + 31_000);
      const fresh = await run('datasets team=treasury');
      expect(listed(fresh.text).map((r) => r.name)).toEqual([moved.name]);
      expect(fresh.text).toContain('as of 0s ago');
      expect(listRequests() - before).toBe(2 * PAGES);
    } finally {
      moved.team = original;
    }
  });

  it('concurrent requests share one read of each source', async () => {
    const catalogBefore = listRequests();
    const argoBefore = argo.requests.length;
    // Hold the first catalog page long enough that every command arrives while it is in flight.
    catalog.inject({ path: /^\/api\/v1\/datasets$/, delayMs: 500, times: 1 });
    const results = await Promise.all(Array.from({ length: 4 }, () => run('datasets status=failed')));
    expect(results.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(new Set(results.map((r) => total(r.text)))).toEqual(new Set([failedNames.length]));
    expect(listRequests() - catalogBefore).toBe(PAGES);
    expect(argo.requests.length - argoBefore).toBe(2 * NAMESPACES);
  });

  it('catalog unreachable: shows run status only, and says so', async () => {
    catalog.inject({
      path: /^\/api\/v1\/datasets/,
      status: 503,
      body: { message: 'catalog maintenance' },
      times: 100,
    });
    const r = await run('datasets status=failed');
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(
      'catalog unreachable (answered HTTP 503: catalog maintenance): showing run status only',
    );
    expect(total(r.text)).toBe(failedNames.length);
    expect(listed(r.text).every((row) => row.team === '—')).toBe(true);
    const all = await run('datasets');
    expect(total(all.text)).toBe(Object.keys(world.producers).length);

    const one = await run(`dataset ${pick('failed')}`);
    expect(one.outcome).toBe('ok');
    expect(one.text).toContain('🔴 failed');
    expect(one.text).toContain('showing run status only');
    const external = await run(`dataset ${pick('external')}`);
    expect(external.outcome).toBe('error');
    expect(external.text).toContain('dataset catalog: answered HTTP 503');
    expect(external.audit.at(-1)).toMatchObject({ kind: 'outcome', outcome: 'error' });
  });

  it('catalog failing after a good read: the last catalog data stands in, with its age', async () => {
    await run('datasets');
    clock = new Date(clock.getTime() + 2 * MINUTE);
    catalog.inject({ path: /^\/api\/v1\/datasets/, status: 503, times: 100 });
    const r = await run('datasets');
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(
      'catalog unreachable (answered HTTP 503: injected 503): catalog data as of 2m ago',
    );
    expect(r.text).toContain('as of 2m ago');
    expect(total(r.text)).toBe(world.items.length);
  });

  it('Argo unreachable: shows catalog freshness only, and says failed runs are not detected', async () => {
    argo.inject({ path: /^\/api\/v1\//, status: 503, times: 100 });
    const r = await run('datasets');
    expect(r.outcome).toBe('ok');
    expect(r.text).toContain(
      'Argo Workflows unreachable (answered HTTP 503: injected 503): showing catalog freshness only',
    );
    expect(r.text).not.toContain('🔴');
    expect(total(r.text)).toBe(world.items.length);
  });

  it('one Argo namespace unreadable: only its datasets lose their run status', async () => {
    argo.inject({ path: /\/data-sales$/, status: 403, body: { code: 7, message: 'forbidden' }, times: 100 });
    const r = await run('datasets status=failed');
    expect(r.text).toContain(
      'Argo Workflows: namespace data-sales could not be read (answered HTTP 403: forbidden)',
    );
    expect(total(r.text)).toBe(failedNames.length - failedIn('sales').length);
  });

  it('both unreachable: a clear error, audited', async () => {
    catalog.inject({ path: /^\/api\/v1\/datasets/, status: 503, times: 100 });
    argo.inject({ path: /^\/api\/v1\//, status: 502, times: 100 });
    const r = await run('datasets');
    expect(r.outcome).toBe('error');
    expect(r.text).toBe(
      'Failed: datasets: neither source answered — dataset catalog: answered HTTP 503: injected 503; Argo Workflows: answered HTTP 502: injected 502. Try again in a minute.',
    );
    expect(r.audit).toEqual([
      expect.objectContaining({ kind: 'attempt', decision: 'allow' }),
      expect.objectContaining({ kind: 'outcome', outcome: 'error', error: r.text.replace(/^Failed: /, '') }),
    ]);
  });
});

describe('dataset autocomplete', () => {
  const options = async (query: string) => {
    const caller = await app.services.identity.resolve({ email: 'linus@example.com' });
    return datasetOptions.options(query, { caller, deps: app.services });
  };

  it('is registered for the dataset select action id', () => {
    expect(
      capabilities.datasets.definition.optionProviders?.find((p) => p.actionId === 'dp.opt.dataset'),
    ).toBe(datasetOptions);
    expect(DATASET_OPTIONS_ACTION).toBe('dp.opt.dataset');
  });

  it('offers names starting with what was typed first, then containing it, at most 100', async () => {
    const refunds = await options('payments.refunds');
    expect(refunds.map((o) => o.value)).toEqual(
      world.items
        .map((i) => i.name)
        .filter((n) => n.startsWith('payments.refunds'))
        .sort(),
    );
    const contains = await options('REFUNDS_HO');
    expect(contains).toEqual([{ text: 'payments.refunds_hourly', value: 'payments.refunds_hourly' }]);
    const orders = (await options('orders')).map((o) => o.value);
    expect(orders.length).toBeGreaterThan(0);
    expect(orders.every((n) => n.includes('orders'))).toBe(true);
    expect(await options('')).toHaveLength(100);
    expect(await options('zzz')).toEqual([]);
  });

  it('falls back to the producer mapping when the catalog is down', async () => {
    // Run before the slow read below, whose answer would otherwise land in the middle of this one.
    clock = new Date(clock.getTime() + 11 * MINUTE);
    catalog.inject({ path: /^\/api\/v1\/datasets/, status: 503, times: 100 });
    const external = pick('external');
    const all = (await options('')).map((o) => o.value);
    expect(all).not.toContain(external);
    const mapped = Object.keys(world.producers).sort();
    expect(all).toEqual(mapped.slice(0, 100));
    catalog.clearFaults();
  });

  it('answers within the 3 seconds Slack allows, from what it knows, while a slow catalog read goes on', async () => {
    await options('');
    clock = new Date(clock.getTime() + 11 * MINUTE);
    const before = catalog.requests.length;
    catalog.inject({ path: /^\/api\/v1\/datasets$/, delayMs: 3000, times: 1 });
    const known = await options('payments.refunds');
    // Answered from the last read: the new read is still waiting for its first page.
    expect(catalog.requests.slice(before).map((r) => r.query)).toEqual(['?page=1&limit=100']);
    expect(known.map((o) => o.value)).toEqual(
      world.items
        .map((i) => i.name)
        .filter((n) => n.startsWith('payments.refunds'))
        .sort(),
    );
    await eventually(() => expect(catalog.requests.length - before).toBe(PAGES), 10_000);
  });
});
