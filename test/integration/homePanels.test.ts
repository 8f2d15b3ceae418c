import type { BlockBuilder } from 'slack-block-builder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../app/app.ts';
import { releaseDeps } from '../../app/wiring/release.ts';
import { releaseHomePanel } from '../../handlers/release/homePanel.ts';
import { workersHomePanel } from '../../handlers/scaling/homePanel.ts';
import { LazyKubernetes } from '../../integrations/kubernetes/kubernetes.ts';
import { blocks } from '../../pipeline/message.ts';
import { startTestApp } from '../support/app.ts';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { createFixture, type Fixture } from '../support/fixture.ts';
import { type RunningKubernetes, startKubernetes } from '../support/kubernetes.ts';
import { type ReleaseWorld, run, SINCE, startReleaseWorld } from '../support/release.ts';
import { seedClusters, workersConfig, workersPolicies } from '../support/workers.ts';

const textOf = (built: BlockBuilder[]) => JSON.stringify(blocks(...built));

describe('App Home: the weekly release panel', () => {
  let world: ReleaseWorld;
  beforeAll(async () => {
    world = await startReleaseWorld();
  });
  afterAll(() => world.close());

  const panelFor = async (email: string) =>
    textOf(
      await releaseHomePanel({
        caller: await world.app.services.identity.resolve({ email }),
        deps: releaseDeps(world.app.services),
      }),
    );

  it('says where the release stands, to those who may read releases', async () => {
    expect(await panelFor('ada@example.com')).toContain('No release yet.');
    expect((await run(world, `release start --since ${SINCE}`, 'ada@example.com')).outcome).toBe('ok');
    const panel = await panelFor('linus@example.com');
    expect(panel).toMatch(/Release #\d+ is open: 0 included, 0 skipped, 3 awaiting a decision\./);
    // Someone without release.read sees no panel.
    const grace = await world.app.services.identity.resolve({ email: 'grace@example.com' });
    const withoutRead = { ...grace, grants: grace.grants.filter((g) => !g.actions.includes('release.read')) };
    expect(
      textOf(await releaseHomePanel({ caller: withoutRead, deps: releaseDeps(world.app.services) })),
    ).toBe('[]');
  });
});

describe('App Home: the workers panel', () => {
  let kube: RunningKubernetes;
  let fixture: Fixture;
  let database: TestDatabase;
  let app: App;
  beforeAll(async () => {
    kube = await startKubernetes(seedClusters);
    fixture = createFixture({ config: workersConfig(kube.kubeconfigPath), policies: workersPolicies });
    database = await createTestDatabase();
    app = await startTestApp(fixture, database);
    // As a serving process does at start: the kubeconfig is read before the first App Home opens,
    // so the panel's 2 s per cluster measures the clusters, not the loading.
    const clusters = app.services.kubernetes;
    if (clusters instanceof LazyKubernetes) await clusters.load();
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    await kube.stop();
    fixture.remove();
  });

  const panelFor = async (email: string) =>
    textOf(
      await workersHomePanel({
        caller: await app.services.identity.resolve({ email }),
        deps: app.services,
      }),
    );

  it('shows desired and ready workers of the teams the viewer may read, and says when a cluster does not answer', async () => {
    const panel = await panelFor('linus@example.com');
    expect(panel).toContain('`team-x/workers`: 4 desired, 4 ready');
    expect(panel).toContain('`team-y/loader`: 3 desired');
    expect(panel).toContain('the cluster did not answer');
  });

  it('shows nothing to someone who may read no team', async () => {
    expect(await panelFor('olive@example.com').catch(() => 'refused')).toBe('refused');
    const strangerGrants = {
      ...(await app.services.identity.resolve({ email: 'grace@example.com' })),
      grants: [],
    };
    expect(textOf(await workersHomePanel({ caller: strangerGrants, deps: app.services }))).toBe('[]');
  });
});
