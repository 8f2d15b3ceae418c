import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import { ArgoCdSimulator } from '../../sandbox/argocd/argoCdSimulator.ts';
import { argoCdContract } from './checkers/argoCd.ts';

/**
 * Argo CD's published OpenAPI document (v3.5.1, test/contract/specs/) is the judge of every request
 * dpbot's real client sends and every answer the simulator gives: here every operation dpbot uses,
 * on purpose (the suite's set-up also judges every exchange of every other test).
 */
const TOKEN = 'argocd-contract-token';
const sim = new ArgoCdSimulator({ token: TOKEN });
const exchanges = sim.recordExchanges();
let client: HttpArgoCdClient;

beforeAll(async () => {
  await sim.start();
  client = new HttpArgoCdClient({
    url: sim.url,
    token: TOKEN,
    timeoutMs: 2000,
    log: pino({ level: 'silent' }),
  });
  sim.addApplication({
    name: 'orders',
    repoURL: 'https://github.com/acme/orders',
    revision: 'b'.repeat(40),
    previousRevision: 'a'.repeat(40),
  });
  sim.addApplication({
    name: 'billing',
    repoURL: 'https://github.com/acme/billing',
    revision: 'd'.repeat(40),
    previousRevision: 'c'.repeat(40),
    autoSync: true,
  });
});
afterAll(() => sim.stop());

const settle = async (name: string) => {
  for (let i = 0; i < 6; i++) await client.get(name);
};

describe("dpbot's Argo CD client and the simulator, held to Argo CD's OpenAPI document", () => {
  it('every request and answer of every operation dpbot uses keeps to the document', async () => {
    await client.get('orders');
    await client.sync('orders', 'e'.repeat(40));
    await client.sync('orders', 'f'.repeat(40)).catch(() => undefined); // another operation in progress
    await client.terminateOperation('orders');
    await settle('orders');
    await client.terminateOperation('orders').catch(() => undefined); // nothing to terminate
    await client.sync('orders', undefined);
    await settle('orders');
    await client.rollback('orders', 0);
    await settle('orders');
    await client.rollback('orders', 99).catch(() => undefined); // no such history id
    await client.rollback('billing', 0).catch(() => undefined); // auto-sync is on
    await client.sync('billing', 'e'.repeat(40)).catch(() => undefined); // a commit while auto-synced
    expect(await client.disableAutoSync('billing')).toEqual({ prune: true, selfHeal: true });
    await client.get('missing').catch(() => undefined); // "permission denied"
    // The project's sync windows: none, then a deny window open now that blocks the sync.
    expect(await client.syncWindows('orders')).toEqual({ canSync: true });
    sim.syncWindows.set('default', [
      { kind: 'deny', schedule: '* * * * *', duration: '1h', applications: ['ord*'] },
      { kind: 'allow', schedule: '0 3 * * *', duration: '1m', namespaces: ['billing'], manualSync: true },
    ]);
    const windows = await client.syncWindows('orders');
    expect(windows.canSync).toBe(false);
    expect(windows.activeWindows).toEqual([
      { kind: 'deny', schedule: '* * * * *', duration: '1h', manualSync: false },
    ]);
    await expect(client.sync('orders', undefined)).rejects.toThrow('cannot sync: blocked by sync window');
    sim.syncWindows.clear();
    // dpbot doctor: the account, and what it may do.
    expect(await client.whoAmI()).toBe('dpbot');
    expect(await client.canI('applications', 'sync', 'default/orders')).toBe(true);
    sim.denied.add('update orders');
    expect(await client.canI('applications', 'update', 'default/orders')).toBe(false);
    sim.denied.add('sync orders');
    await client.sync('orders', undefined).catch(() => undefined); // refused by the policy

    const statuses = new Set(exchanges.map((e) => `${e.method} ${e.status}`));
    expect(statuses).toEqual(
      new Set([
        'GET 200',
        'POST 200',
        'POST 400',
        'DELETE 200',
        'DELETE 400',
        'PATCH 200',
        'GET 403',
        'POST 403',
      ]),
    );
    expect(exchanges.flatMap((e) => argoCdContract().check(e))).toEqual([]);
  });
});
