import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoProducerReader, cronSchedules } from '../../handlers/datasets/producerReader.ts';
import { describeSchedule } from '../../handlers/datasets/views.ts';
import { HttpArgoClient } from '../../integrations/argo/argoClient.ts';
import type { CronWorkflow } from '../../integrations/argo/types.ts';
import { ArgoSimulator } from '../../sandbox/argo/argoSimulator.ts';
import { DEMO_NAMESPACE, demoCronWorkflows } from '../../sandbox/argo/demoTemplates.ts';
import { generateDemoWorld } from '../../sandbox/catalog/demoWorld.ts';

const NOW = new Date('2026-11-21T12:10:00Z');
const NS = 'schedules';
const TOKEN = 'argo-secret';

/**
 * A CronWorkflow as a given Argo Workflows version sends it: only the schedule fields differ between
 * them; `workflowSpec` is required in all.
 */
function cron(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'CronWorkflow',
    metadata: { name, namespace: NS },
    spec: { timezone: 'UTC', workflowSpec: { workflowTemplateRef: { name: 'refresh' } }, ...spec },
    status: { active: [], lastScheduledTime: '2026-11-21T12:00:00Z', conditions: [] },
  };
}

const argo = new ArgoSimulator({
  token: TOKEN,
  cronWorkflows: [
    // Argo Workflows 4: `schedules` only.
    cron('v4-two', { schedules: ['0 * * * *', '30 * * * *'] }),
    // 3.5: `schedule` only.
    cron('legacy', { schedule: '0 3 * * *' }),
    // 3.6 and 3.7 have both; `schedules` is the one that counts.
    cron('both', { schedule: '0 3 * * *', schedules: ['15 * * * *', '45 * * * *'] }),
  ],
  workflows: [],
});
const reader = () =>
  new ArgoProducerReader(
    new HttpArgoClient({ url: argo.url, token: TOKEN, timeoutMs: 2000, log: pino({ level: 'silent' }) }),
  );

beforeAll(async () => {
  await argo.start();
});
afterAll(async () => {
  await argo.stop();
});

describe('CronWorkflow schedules, as each Argo Workflows version sends them', () => {
  it('v4 with several schedules: all are read and the next run is the earliest of them', async () => {
    const producer = await reader().producer({ namespace: NS, cronWorkflow: 'v4-two' }, 5);
    expect(producer.schedules).toEqual(['0 * * * *', '30 * * * *']);
    // 12:30 from the second schedule, not 13:00 from the first.
    expect(describeSchedule(producer, NOW)).toBe('0 * * * *, 30 * * * * (UTC), next 2026-11-21 12:30 UTC');
  });

  it('legacy with only `schedule` still works', async () => {
    const producer = await reader().producer({ namespace: NS, cronWorkflow: 'legacy' }, 5);
    expect(producer.schedules).toEqual(['0 3 * * *']);
    expect(describeSchedule(producer, NOW)).toBe('0 3 * * * (UTC), next 2026-11-22 03:00 UTC');
  });

  it('with both, `schedules` wins over the deprecated `schedule`; the namespace listing reads the same', async () => {
    const crons = await reader().namespace(NS, 5);
    expect(Object.fromEntries([...crons].map(([name, state]) => [name, state.schedules]))).toEqual({
      'v4-two': ['0 * * * *', '30 * * * *'],
      legacy: ['0 3 * * *'],
      both: ['15 * * * *', '45 * * * *'],
    });
    const both = crons.get('both');
    if (!both) throw new Error('no CronWorkflow "both"');
    expect(describeSchedule(both, NOW)).toBe('15 * * * *, 45 * * * * (UTC), next 2026-11-21 12:15 UTC');
  });

  it('an empty `schedules` falls back to `schedule`; neither is no schedule', () => {
    // workflowSpec is required by the API's type and not read here.
    const of = (spec: Omit<CronWorkflow['spec'], 'workflowSpec'>) =>
      cronSchedules({ metadata: { name: 'x' }, spec: { ...spec, workflowSpec: {} } });
    expect(of({ schedules: [], schedule: '0 3 * * *' })).toEqual(['0 3 * * *']);
    expect(of({ schedules: ['5 * * * *'] })).toEqual(['5 * * * *']);
    expect(of({})).toEqual([]);
  });
});

describe('the simulator sends the v4 shape', () => {
  it('every demo CronWorkflow has `schedules` and no `schedule`', async () => {
    const produced = generateDemoWorld({ now: NOW }).cronWorkflows.slice(0, 20);
    const demo = new ArgoSimulator({ token: TOKEN, cronWorkflows: [...demoCronWorkflows(NOW), ...produced] });
    await demo.start();
    try {
      const client = new HttpArgoClient({
        url: demo.url,
        token: TOKEN,
        timeoutMs: 2000,
        log: pino({ level: 'silent' }),
      });
      const namespaces = new Set([DEMO_NAMESPACE, ...produced.map((c) => c.metadata.namespace ?? '')]);
      const crons = (await Promise.all([...namespaces].map((ns) => client.listCronWorkflows(ns)))).flat();
      expect(crons.length).toBeGreaterThan(20);
      for (const c of crons) {
        expect(c.spec).not.toHaveProperty('schedule');
        expect(c.spec.schedules?.length).toBeGreaterThan(0);
      }
    } finally {
      await demo.stop();
    }
  });
});
