import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpArgoCdClient } from '../../integrations/argocd/argoCdClient.ts';
import { ArgoCdSimulator, type SimSyncWindow } from '../../sandbox/argocd/argoCdSimulator.ts';

// Argo CD's sync windows as the simulator judges them, read through dpbot's real client: the rules
// of docs/user-guide/sync_windows.md, on a clock the test sets.

let now = new Date('2026-12-05T10:30:00Z'); // a Saturday, 11:30 in Berlin
const sim = new ArgoCdSimulator({ token: 'argo-test', now: () => now });
let client: HttpArgoCdClient;

beforeAll(async () => {
  await sim.start();
  client = new HttpArgoCdClient({
    url: sim.url,
    token: 'argo-test',
    timeoutMs: 5_000,
    log: pino({ level: 'silent' }),
  });
  sim.addApplication({
    name: 'web',
    repoURL: 'https://github.com/acme/web',
    revision: 'r2',
    previousRevision: 'r1',
  });
});
afterAll(() => sim.stop());

const windows = async (list: SimSyncWindow[]) => {
  sim.syncWindows.set('default', list);
  return client.syncWindows('web');
};
const officeHours: SimSyncWindow = {
  kind: 'allow',
  schedule: '0 9 * * 1-5',
  duration: '8h',
  applications: ['web'],
};
const saturdayMorning: SimSyncWindow = {
  kind: 'deny',
  schedule: '0 10 * * 6',
  duration: '1h',
  namespaces: ['w*'],
};

describe("Argo CD's sync windows in the simulator", () => {
  it('allows any sync with no window, and leaves the lists out', async () => {
    expect(await windows([])).toEqual({ canSync: true });
  });

  it('blocks outside every allow window, unless the allow window lets manual syncs through', async () => {
    const outside = await windows([officeHours]);
    expect(outside).toEqual({
      assignedWindows: [{ kind: 'allow', schedule: '0 9 * * 1-5', duration: '8h', manualSync: false }],
      canSync: false,
    });
    expect((await windows([{ ...officeHours, manualSync: true }])).canSync).toBe(true);
    now = new Date('2026-12-07T12:00:00Z'); // Monday noon: inside the allow window
    const inside = await windows([officeHours]);
    expect(inside.canSync).toBe(true);
    expect(inside.activeWindows).toHaveLength(1);
    now = new Date('2026-12-05T10:30:00Z');
  });

  it('blocks inside a deny window, which overrides an active allow; manualSync only if every active deny has it', async () => {
    const denied = await windows([saturdayMorning]);
    expect(denied.canSync).toBe(false);
    expect(denied.activeWindows).toEqual([
      { kind: 'deny', schedule: '0 10 * * 6', duration: '1h', manualSync: false },
    ]);
    const allDay: SimSyncWindow = {
      kind: 'allow',
      schedule: '0 0 * * *',
      duration: '24h',
      applications: ['*'],
    };
    expect((await windows([allDay, saturdayMorning])).canSync).toBe(false);
    expect((await windows([{ ...saturdayMorning, manualSync: true }])).canSync).toBe(true);
    const other: SimSyncWindow = {
      kind: 'deny',
      schedule: '30 9 * * 6',
      duration: '2h',
      applications: ['web'],
    };
    expect((await windows([{ ...saturdayMorning, manualSync: true }, other])).canSync).toBe(false);
    // Ended at 11:00 UTC.
    now = new Date('2026-12-05T11:00:00Z');
    expect((await windows([saturdayMorning])).canSync).toBe(true);
    now = new Date('2026-12-05T10:30:00Z');
  });

  it("reads the schedule in the window's time zone", async () => {
    const berlin: SimSyncWindow = { ...saturdayMorning, schedule: '0 11 * * 6', timeZone: 'Europe/Berlin' };
    expect((await windows([berlin])).canSync).toBe(false);
    expect((await windows([{ ...berlin, timeZone: undefined }])).canSync).toBe(true);
  });

  it('applies a window only to the applications, namespaces or clusters it names (all of them with andOperator)', async () => {
    expect(await windows([{ ...saturdayMorning, namespaces: ['other'] }])).toEqual({ canSync: true });
    expect(await windows([{ kind: 'deny', schedule: '0 10 * * 6', duration: '1h' }])).toEqual({
      canSync: true,
    });
    expect((await windows([{ ...saturdayMorning, namespaces: [], clusters: ['in-cluster'] }])).canSync).toBe(
      false,
    );
    const both = { ...saturdayMorning, applications: ['web'], namespaces: ['nope'] };
    expect((await windows([both])).canSync).toBe(false);
    expect(await windows([{ ...both, andOperator: true }])).toEqual({ canSync: true });
  });

  it('refuses a sync while the windows block it, as Argo CD does', async () => {
    await windows([saturdayMorning]);
    await expect(client.sync('web', 'r3')).rejects.toThrow('cannot sync: blocked by sync window');
    await windows([{ ...saturdayMorning, manualSync: true }]);
    await expect(client.sync('web', 'r3')).resolves.toBeDefined();
    sim.syncWindows.clear();
  });
});
