import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoCdError, HttpArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import { assess } from '../../integrations/argocd/assess.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';

const sim = new ArgoCdSimulator({ token: 'argo-test' });
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
    expect((await client().get('web')).status?.history?.map((h) => h.revision)).toEqual(['r1', 'r2', 'r3']);
  });

  it('tells "another operation is already in progress" and a rollback under auto-sync apart', async () => {
    sim.startForeignSync('web', 'r3');
    const busy = await errorOf(client().sync('web', 'r4'));
    expect(busy.operationInProgress).toBe(true);
    expect(busy.status).toBe(400);
    expect(busy.grpcCode).toBe(9);
    await client().terminateOperation('web');
    expect((await client().get('web')).status?.operationState?.phase).toBe('Failed');

    const refused = await errorOf(client().rollback('auto', 1));
    expect(refused.autoSyncEnabled).toBe(true);
    expect(refused.message).toBe('Argo CD: rollback cannot be initiated when auto-sync is enabled');
    expect(await client().disableAutoSync('auto')).toEqual({ prune: true, selfHeal: true });
    expect(await client().disableAutoSync('auto')).toBeNull();
    await client().rollback('auto', 1);
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
    const missing = await errorOf(client().get('nope'));
    expect([missing.status, missing.message]).toEqual([
      404,
      'Argo CD: applications.argoproj.io "nope" not found',
    ]);
    const badId = await errorOf(client().rollback('web', 99));
    expect(badId.message).toBe('Argo CD: application web does not have deployment with id 99');
  });

  it('retries reads on 5xx, not writes', async () => {
    sim.inject({ method: 'GET', path: /\/applications\/web$/, status: 503, times: 1 });
    expect((await client().get('web')).metadata.name).toBe('web');
    sim.inject({ method: 'POST', path: /\/sync$/, status: 503, times: 1 });
    expect((await errorOf(client().sync('web', 'r5'))).status).toBe(503);
  });
});
