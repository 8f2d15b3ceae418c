import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoCdError, HttpArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import { assess } from '../../integrations/argocd/assess.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';

// The branch the auto-synced applications follow is at g3 (a commit in no other application).
const sim = new ArgoCdSimulator({
  token: 'argo-test',
  headOf: (repoURL, ref) => (repoURL.endsWith('/gitops') && ref === 'main' ? 'g3' : undefined),
});
const client = (token = 'argo-test') =>
  new HttpArgoCdClient({ url: sim.url, token, timeoutMs: 5_000, log: pino({ level: 'silent' }) });

beforeAll(async () => {
  sim
    .addApplication({
      name: 'web',
      repoURL: 'https://github.com/acme/web',
      revision: 'r2',
      previousRevision: 'r1',
    })
    .addApplication({
      name: 'auto',
      repoURL: 'https://github.com/acme/auto',
      revision: 'a2',
      previousRevision: 'a1',
      autoSync: true,
    })
    .addApplication({
      name: 'gitops',
      repoURL: 'https://github.com/acme/gitops',
      revision: 'g2',
      previousRevision: 'g1',
      autoSync: true,
    })
    .addApplication({
      name: 'paused',
      repoURL: 'https://github.com/acme/paused',
      revision: 'p2',
      previousRevision: 'p1',
      // Argo CD ≥ 3.1: the policy kept, auto-sync off.
      autoSync: { enabled: false, prune: true },
    });
  await sim.start();
});
afterAll(() => sim.stop());

async function errorOf(promise: Promise<unknown>): Promise<ArgoCdError> {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ArgoCdError);
  return error as ArgoCdError;
}

describe('Argo CD client against the simulator', () => {
  it('syncs, and the operation only counts as done once reconciled and Healthy', async () => {
    const requestedAt = new Date();
    const accepted = await client().sync('web', 'r3');
    expect(accepted.operation).toBeTruthy();
    expect(sim.requests.at(-1)?.body).toEqual({ name: 'web', revision: 'r3', prune: false, dryRun: false });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++)
      seen.push(assess(await client().get('web'), { revision: 'r3', kind: 'sync', requestedAt }).state);
    // Running, finished-but-not-reconciled (the old Healthy), Progressing, then Healthy.
    expect(seen).toEqual(['running', 'running', 'progressing', 'healthy', 'healthy', 'healthy']);
    const history = (await client().get('web')).status?.history;
    expect(history?.map((h) => h.revision)).toEqual(['r1', 'r2', 'r3']);
    // Argo CD numbers deployments from 0, as JSON numbers.
    expect(history?.map((h) => h.id)).toEqual([0, 1, 2]);
  });

  it('tells "another operation is already in progress" and a rollback under auto-sync apart', async () => {
    sim.startForeignSync('web', 'r3');
    const busy = await errorOf(client().sync('web', 'r4'));
    expect(busy.operationInProgress).toBe(true);
    expect(busy.status).toBe(400);
    expect(busy.grpcCode).toBe(9);
    await client().terminateOperation('web');
    expect((await client().get('web')).status?.operationState?.phase).toBe('Failed');
    // Nothing left to terminate: InvalidArgument, not FailedPrecondition.
    const none = await errorOf(client().terminateOperation('web'));
    expect([none.status, none.grpcCode, none.message]).toEqual([
      400,
      3,
      'Argo CD: Unable to terminate operation. No operation is in progress',
    ]);
    expect(none.noOperationInProgress).toBe(true);
    expect(busy.noOperationInProgress).toBe(false);

    const refused = await errorOf(client().rollback('auto', 0));
    expect(refused.grpcCode).toBe(9);
    expect(refused.autoSyncEnabled).toBe(true);
    expect(refused.message).toBe('Argo CD: rollback cannot be initiated when auto-sync is enabled');
    expect(await client().disableAutoSync('auto')).toEqual({ prune: true, selfHeal: true });
    expect(await client().disableAutoSync('auto')).toBeNull();
    await client().rollback('auto', 0);
    expect(sim.requests.at(-1)?.body).toEqual({ name: 'auto', id: 0, prune: false, dryRun: false });
    const states: string[] = [];
    for (let i = 0; i < 5; i++)
      states.push(
        assess(await client().get('auto'), {
          revision: 'a1',
          kind: 'rollback',
          requestedAt: new Date(Date.now() - 1000),
        }).state,
      );
    expect(states.at(-1)).toBe('healthy');
    expect((await client().get('auto')).status?.sync?.status).toBe('OutOfSync');
  });

  it('says what is wrong with the token or the application name', async () => {
    expect((await errorOf(client('expired').get('web'))).message).toBe(
      'Argo CD: the ARGOCD_TOKEN was refused (401): it may have expired',
    );
    // Without a project, Argo CD does not say an application is missing: only "permission denied".
    const missing = await errorOf(client().get('nope'));
    expect([missing.status, missing.message]).toEqual([
      403,
      'Argo CD: no application at GET /api/v1/applications/nope that the ARGOCD_TOKEN may see: check the name (Argo CD says "permission denied" for a missing one) or the token\'s role',
    ]);
    const badId = await errorOf(client().rollback('web', 99));
    expect([badId.grpcCode, badId.message]).toEqual([
      3,
      'Argo CD: application argocd/web does not have deployment with id 99',
    ]);
  });

  it('refuses a sync to a commit while auto-sync is on, and syncs the branch without a revision', async () => {
    const refused = await errorOf(client().sync('gitops', 'g3'));
    expect([refused.status, refused.grpcCode, refused.message]).toEqual([
      400,
      9,
      'Argo CD: Cannot sync to g3: auto-sync currently set to main',
    ]);
    const requestedAt = new Date();
    const accepted = await client().sync('gitops', undefined);
    expect(sim.requests.at(-1)?.body).toEqual({ name: 'gitops', prune: false, dryRun: false });
    expect(accepted.operation).toEqual(expect.objectContaining({ sync: { revision: 'g3' } }));
    let state = '';
    for (let i = 0; i < 6 && state !== 'healthy'; i++)
      state = assess(await client().get('gitops'), { revision: 'g3', kind: 'sync', requestedAt }).state;
    expect(state).toBe('healthy');
    // The branch named as the revision is no commit: accepted too.
    await client().sync('gitops', 'main');
    for (let i = 0; i < 6; i++) await client().get('gitops');
  });

  it('reads automated.enabled false as auto-sync off, and turns a policy off with automated: null', async () => {
    const patches = () => sim.requests.filter((r) => r.method === 'PATCH').length;
    const before = patches();
    expect(await client().disableAutoSync('paused')).toBeNull();
    expect(patches()).toBe(before);
    await client().sync('paused', 'p3');
    for (let i = 0; i < 6; i++) await client().get('paused');
    await client().rollback('paused', 0);
    for (let i = 0; i < 6; i++) await client().get('paused');
    expect(sim.app('paused').syncedRevision).toBe('p1');

    // An empty policy is on, and the merge patch dpbot sends removes it whatever it holds.
    sim.app('paused').automated = {};
    expect((await errorOf(client().rollback('paused', 0))).autoSyncEnabled).toBe(true);
    sim.app('paused').automated = { enabled: true, selfHeal: true };
    expect(await client().disableAutoSync('paused')).toEqual({ enabled: true, selfHeal: true });
    expect(sim.requests.at(-1)?.body).toEqual({
      name: 'paused',
      patchType: 'merge',
      patch: JSON.stringify({ spec: { syncPolicy: { automated: null } } }),
    });
    expect(sim.app('paused').automated).toBeNull();
  });

  it('retries reads on 5xx, not writes', async () => {
    sim.inject({ method: 'GET', path: /\/applications\/web$/, status: 503, times: 1 });
    expect((await client().get('web')).metadata?.name).toBe('web');
    sim.inject({ method: 'POST', path: /\/sync$/, status: 503, times: 1 });
    expect((await errorOf(client().sync('web', 'r5'))).status).toBe(503);
  });
});
