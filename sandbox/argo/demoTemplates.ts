import type { CronWorkflow } from './argoApi.ts';
import type { SimStep, SimTemplate } from './argoSimulator.ts';

/** Namespace of the sandbox's data jobs (the tasks in dpbot.example.yaml run there). */
export const DEMO_NAMESPACE = 'data-jobs';

/** The demo dataset whose backfill fails on its third day. */
export const BROKEN_BACKFILL_DATASET = 'team-x.events_history';

function days(from: string, to: string, cap = 31): string[] {
  const out: string[] = [];
  const start = new Date(`${from}T00:00:00Z`);
  const end = new Date(`${to}T00:00:00Z`);
  if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime())) return out;
  for (let d = start; d <= end && out.length < cap; d = new Date(d.getTime() + 86_400_000)) {
    out.push(d.toISOString().slice(0, 10));
  }
  return out;
}

/**
 * `backfill`: re-runs a dataset's pipeline day by day. The dataset `team-x.events_history` (in
 * the demo catalog) has a hole in its source on the third day, so a newcomer can watch a run fail
 * with the failing step named.
 */
export const backfillTemplate: SimTemplate = {
  kind: 'WorkflowTemplate',
  name: 'backfill',
  namespace: DEMO_NAMESPACE,
  parameters: [{ name: 'dataset' }, { name: 'from' }, { name: 'to' }, { name: 'mode', value: 'append' }],
  steps: (p) => {
    const range = days(p.from ?? '', p.to ?? '');
    const steps: SimStep[] = [
      {
        name: 'validate',
        logs: [
          `checking ${p.dataset} for ${range.length} day(s), mode ${p.mode}`,
          'source and target reachable',
        ],
      },
    ];
    range.forEach((day, i) => {
      const broken = p.dataset === BROKEN_BACKFILL_DATASET && i === 2;
      steps.push({
        name: `load-${day}`,
        logs: [
          `reading ${p.dataset} dt=${day}`,
          broken ? `source partition dt=${day} not found` : `wrote ${1000 + i * 137} rows`,
        ],
        ...(broken ? { fail: `source partition dt=${day} is missing; restore it or skip the day` } : {}),
      });
    });
    steps.push({ name: 'publish', logs: [`refreshing ${p.dataset} statistics`, 'done'] });
    return steps;
  },
};

/** `reprocess-partition`: one partition, in three steps. */
export const reprocessTemplate: SimTemplate = {
  kind: 'WorkflowTemplate',
  name: 'reprocess-partition',
  namespace: DEMO_NAMESPACE,
  parameters: [
    { name: 'dataset' },
    { name: 'partition' },
    { name: 'priority', value: '5' },
    { name: 'dry-run', value: 'false' },
  ],
  steps: (p) => [
    { name: 'snapshot', logs: [`snapshot of ${p.dataset}/${p.partition} taken`] },
    {
      name: 'reprocess',
      ticks: 2,
      logs: [
        `reprocessing ${p.dataset}/${p.partition} at priority ${p.priority}`,
        p['dry-run'] === 'true' ? 'dry run: nothing written' : 'partition rewritten',
      ],
    },
    { name: 'verify', logs: ['row counts match', 'checksums match'] },
  ],
};

/** `compact-table`: a ClusterWorkflowTemplate shared by every team's namespace. */
export const compactTemplate: SimTemplate = {
  kind: 'ClusterWorkflowTemplate',
  name: 'compact-table',
  parameters: [
    { name: 'team' },
    { name: 'table' },
    { name: 'retention', value: '30d' },
    { name: 'note', value: '' },
  ],
  steps: (p) => [
    { name: 'plan', logs: [`compacting ${p.team}.${p.table}, keeping ${p.retention}`] },
    {
      name: 'compact',
      ticks: 2,
      logs: ['merging small files', 'rewrote 42 files into 3'],
      ...(p.table?.includes('locked')
        ? { fail: `table ${p.team}.${p.table} is locked by another writer` }
        : {}),
    },
  ],
};

export const demoTemplates: readonly SimTemplate[] = [backfillTemplate, reprocessTemplate, compactTemplate];

/** CronWorkflows producing datasets, as the datasets capability reads them (GET cron-workflows). */
export function demoCronWorkflows(now: Date): CronWorkflow[] {
  const ago = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();
  const cron = (name: string, schedule: string, lastMinutesAgo: number, suspend = false): CronWorkflow => ({
    metadata: {
      name,
      namespace: DEMO_NAMESPACE,
      labels: { 'dpbot/dataset': name.replace(/-daily$|-hourly$/, '') },
    },
    spec: {
      schedules: [schedule],
      timezone: 'UTC',
      suspend,
      concurrencyPolicy: 'Forbid',
      // Required by the API (CronWorkflowSpec): what each scheduled run is.
      workflowSpec: { workflowTemplateRef: { name: 'backfill' } },
    },
    status: {
      active: [],
      lastScheduledTime: ago(lastMinutesAgo),
      succeeded: 30,
      failed: 1,
      phase: suspend ? 'Stopped' : 'Active',
      conditions: [],
    },
  });
  return [
    cron('orders-daily', '0 3 * * *', 600),
    cron('payments-hourly', '5 * * * *', 40),
    cron('legacy_events-daily', '0 4 * * *', 3000, true),
  ];
}
