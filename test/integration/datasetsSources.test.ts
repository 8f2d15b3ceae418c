import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIMULATED_CATALOG } from '../../app/sandbox/datasetsSandboxPart.ts';
import { UpstreamError } from '../../core/errors.ts';
import { datasetsConfigSchema } from '../../handlers/datasets/config.ts';
import { ArgoProducerReader } from '../../handlers/datasets/producerReader.ts';
import { HttpArgoClient } from '../../integrations/argo/argoClient.ts';
import { HttpDatasetCatalog } from '../../integrations/datasets/catalogClient.ts';
import type { CatalogConfig } from '../../integrations/datasets/config.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { catalogSimulator } from '../../sandbox/catalog/catalogSimulator.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const world = generateDemoWorld({ now: NOW });
const TOKEN = 'catalog-secret';
const sims = {
  page: catalogSimulator({ items: world.items, pagination: 'page', token: TOKEN }),
  cursor: catalogSimulator({ items: world.items, pagination: 'cursor', token: TOKEN }),
  none: catalogSimulator({ items: world.items, pagination: 'none', token: TOKEN }),
};
const argo = new ArgoSimulator({
  cronWorkflows: world.cronWorkflows,
  workflows: world.workflows,
  token: 'argo-secret',
});

function catalogConfig(url: string, over: Record<string, unknown> = {}): CatalogConfig {
  const config = datasetsConfigSchema.parse({
    catalog: { ...SIMULATED_CATALOG, url, timeout: '2s', ...over },
  }).catalog;
  if (!config) throw new Error('no catalog config');
  return config;
}

beforeAll(async () => {
  await Promise.all([...Object.values(sims).map((s) => s.start()), argo.start()]);
});
afterAll(async () => {
  await Promise.all([...Object.values(sims).map((s) => s.stop()), argo.stop()]);
});

const names = world.items.map((i) => i.name).sort();

describe('dataset catalog client over HTTP', () => {
  it('the generated world is large, deterministic and has problems in it', () => {
    expect(world.items.length).toBeGreaterThanOrEqual(300);
    expect(new Set(world.items.map((i) => i.team)).size).toBe(8);
    const scenarios = Object.values(world.scenarios);
    for (const s of [
      'failed',
      'late',
      'healthy',
      'external',
      'running',
      'cannot-submit',
      'missing-producer',
    ] as const)
      expect(scenarios).toContain(s);
    expect(generateDemoWorld({ now: NOW })).toEqual(world);
    expect(generateDemoWorld({ now: NOW, seed: 1 }).items).not.toEqual(world.items);
  });

  it('reads every page with page/limit, stopping at a short page', async () => {
    sims.page.requests.length = 0;
    const client = new HttpDatasetCatalog(
      catalogConfig(sims.page.url, { pagination: { type: 'page', pageSize: 100 } }),
      TOKEN,
    );
    const listing = await client.list();
    expect(listing.datasets.map((d) => d.name).sort()).toEqual(names);
    expect(listing).toMatchObject({ skipped: 0, truncated: false });
    expect(sims.page.requests.map((r) => r.query)).toEqual(
      Array.from({ length: Math.ceil(names.length / 100) }, (_, i) => `?page=${i + 1}&limit=100`),
    );
    expect(sims.page.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('follows cursors until there is none', async () => {
    sims.cursor.requests.length = 0;
    const client = new HttpDatasetCatalog(
      catalogConfig(sims.cursor.url, { pagination: { type: 'cursor', pageSize: 70 } }),
      TOKEN,
    );
    const listing = await client.list();
    expect(listing.datasets.map((d) => d.name).sort()).toEqual(names);
    expect(sims.cursor.requests).toHaveLength(Math.ceil(names.length / 70));
    expect(sims.cursor.requests[0]?.query).toBe('?limit=70');
    expect(sims.cursor.requests[1]?.query).toMatch(/^\?limit=70&cursor=/);
  });

  it('reads an unpaginated list in one request, and stops at maxPages saying it did', async () => {
    sims.none.requests.length = 0;
    const whole = await new HttpDatasetCatalog(
      catalogConfig(sims.none.url, { pagination: { type: 'none' } }),
      TOKEN,
    ).list();
    expect(whole.datasets).toHaveLength(names.length);
    expect(sims.none.requests).toHaveLength(1);
    const cut = await new HttpDatasetCatalog(
      catalogConfig(sims.page.url, { pagination: { type: 'page', pageSize: 50, maxPages: 2 } }),
      TOKEN,
    ).list();
    expect(cut).toMatchObject({ truncated: true });
    expect(cut.datasets).toHaveLength(100);
  });

  it('gets one dataset, and null for one the catalog does not know', async () => {
    const client = new HttpDatasetCatalog(catalogConfig(sims.page.url), TOKEN);
    const first = world.items[0];
    const got = await client.get(first?.name ?? '');
    expect(got).toMatchObject({ name: first?.name, team: first?.team, owner: first?.owner.email });
    expect(got?.extra.Tier).toBe(first?.tier);
    expect(await client.get('no.such_dataset')).toBeNull();
  });

  it('turns HTTP failures into errors that name the catalog and the problem', async () => {
    const wrongToken = new HttpDatasetCatalog(catalogConfig(sims.page.url), 'nope');
    await expect(wrongToken.list()).rejects.toThrow(
      'dataset catalog: answered HTTP 401: missing or invalid bearer token',
    );

    const client = new HttpDatasetCatalog(
      catalogConfig(sims.none.url, { pagination: { type: 'none' } }),
      TOKEN,
    );
    sims.none.inject({ path: /datasets/, status: 500, body: { message: 'database is down' }, times: 1 });
    const error = await client.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect(error).toMatchObject({
      status: 500,
      message: 'dataset catalog: answered HTTP 500: database is down',
    });

    // A 429 with a short Retry-After is waited out once.
    sims.none.inject({ path: /datasets/, status: 429, headers: { 'retry-after': '0' }, times: 1 });
    expect((await client.list()).datasets).toHaveLength(names.length);
    // Twice is too many for a cached read: fail and let the cache answer.
    sims.none.inject({ path: /datasets/, status: 503, times: 2 });
    await expect(client.list()).rejects.toThrow('answered HTTP 503');

    const slow = new HttpDatasetCatalog(
      catalogConfig(sims.none.url, { pagination: { type: 'none' }, timeout: '200ms' }),
      TOKEN,
    );
    sims.none.inject({ path: /datasets/, delayMs: 1000, times: 1 });
    await expect(slow.list()).rejects.toThrow('dataset catalog: no answer within 200ms');

    const gone = catalogSimulator({ items: [], pagination: 'none' });
    const goneUrl = await gone.start();
    await gone.stop();
    const nowhere = new HttpDatasetCatalog(catalogConfig(goneUrl), TOKEN);
    await expect(nowhere.list()).rejects.toThrow(/dataset catalog: unreachable \(.*ECONNREFUSED/);

    const wrongShape = new HttpDatasetCatalog(
      catalogConfig(sims.none.url, { pagination: { type: 'none' }, itemsPath: 'items' }),
      TOKEN,
    );
    await expect(wrongShape.list()).rejects.toThrow('no array at "items" (datasets.catalog.itemsPath)');
  });
});

describe('CronWorkflow reader over HTTP', () => {
  const log = pino({ level: 'silent' });
  const readerFor = (token = 'argo-secret') =>
    new ArgoProducerReader(new HttpArgoClient({ url: argo.url, token, timeoutMs: 2000, log }));

  it('reads one CronWorkflow and its newest runs, newest first', async () => {
    const failed = Object.entries(world.scenarios).find(([, s]) => s === 'failed')?.[0] ?? '';
    const ref = world.producers[failed];
    if (!ref) throw new Error('the world has no failed producer');
    argo.requests.length = 0;
    const state = await readerFor().producer(ref, 2);
    expect(state).toMatchObject({ found: true, suspended: false, active: 0, submissionError: null });
    expect(state.schedules).toHaveLength(1);
    expect(state.runs).toHaveLength(2);
    expect(['Failed', 'Error']).toContain(state.runs[0]?.phase);
    expect(state.runs[0]?.message).toBeTruthy();
    expect(state.runs[1]?.phase).toBe('Succeeded');
    expect((state.runs[0]?.startedAt?.getTime() ?? 0) > (state.runs[1]?.startedAt?.getTime() ?? 0)).toBe(
      true,
    );
    expect(argo.requests.map((r) => r.path)).toEqual([
      `/api/v1/cron-workflows/${ref.namespace}/${ref.cronWorkflow}`,
      `/api/v1/workflows/${ref.namespace}`,
    ]);
    const selector = new URLSearchParams(argo.requests[1]?.query).get('listOptions.labelSelector');
    expect(selector).toBe(`workflows.argoproj.io/cron-workflow=${ref.cronWorkflow}`);
    expect(argo.requests[0]?.headers.authorization).toBe('Bearer argo-secret');
  });

  it('says found: false for a CronWorkflow that does not exist, and reports SubmissionError', async () => {
    const missing = await readerFor().producer({ namespace: 'data-sales', cronWorkflow: 'nope' }, 3);
    expect(missing).toMatchObject({ found: false, runs: [] });
    const stuck = Object.entries(world.scenarios).find(([, s]) => s === 'cannot-submit')?.[0] ?? '';
    const ref = world.producers[stuck];
    if (!ref) throw new Error('the world has no CronWorkflow that cannot submit');
    const state = await readerFor().producer(ref, 3);
    expect(state.submissionError).toContain('Failed to submit Workflow');
  });

  it('reads a whole namespace in two requests', async () => {
    argo.requests.length = 0;
    const states = await readerFor().namespace('data-sales', 3);
    const expected = world.cronWorkflows
      .filter((c) => c.metadata.namespace === 'data-sales')
      .map((c) => c.metadata.name);
    expect([...states.keys()].sort()).toEqual(expected.sort());
    for (const state of states.values()) expect(state.runs.length).toBeLessThanOrEqual(3);
    expect(argo.requests).toHaveLength(2);
    // An empty namespace answers "items": null, which is an empty map, not an error.
    expect((await readerFor().namespace('data-nobody', 3)).size).toBe(0);
  });

  it('names Argo in its errors', async () => {
    const unauthorized = readerFor('wrong');
    await expect(unauthorized.namespace('data-sales', 3)).rejects.toThrow(
      'Argo Workflows: answered HTTP 401: token not valid',
    );
  });
});
