/**
 * A generated, deterministic data platform for the sandbox and the tests: a catalog of datasets
 * across teams and the Argo CronWorkflows (with their recent Workflows) that produce most of them.
 * The same seed and `now` always give the same world; some datasets are late, some failed.
 */

export interface CatalogItem {
  name: string;
  team: string;
  owner: { name: string; email: string };
  description: string;
  freshness: { last_updated_at: string | null; sla: string | null };
  tags: string[];
  tier: 'gold' | 'silver' | 'bronze';
  stats: { row_count: number };
}

export interface ArgoObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; creationTimestamp: string };
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
}

export type Scenario =
  | 'healthy'
  | 'failed'
  | 'late'
  | 'running'
  | 'external'
  | 'no-sla'
  | 'missing-producer'
  | 'cannot-submit';

export interface DemoWorld {
  items: CatalogItem[];
  producers: Record<string, { namespace: string; cronWorkflow: string }>;
  cronWorkflows: ArgoObject[];
  workflows: ArgoObject[];
  /** What each dataset was generated to be, for tests and for the curious. */
  scenarios: Record<string, Scenario>;
}

/** mulberry32: small, fast and good enough for demo data; seeded, so worlds are reproducible. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TEAMS: Record<string, string[]> = {
  'team-x': ['events', 'sessions', 'clicks', 'experiments', 'feature_flags', 'devices'],
  sales: ['orders', 'order_items', 'quotes', 'accounts', 'opportunities', 'pipeline'],
  marketing: ['campaigns', 'leads', 'attribution', 'newsletters', 'ad_spend', 'web_traffic'],
  finance: ['invoices', 'ledger', 'revenue', 'budgets', 'fx_rates', 'payouts'],
  payments: ['transactions', 'refunds', 'chargebacks', 'settlements', 'wallets', 'fees'],
  logistics: ['shipments', 'carriers', 'warehouses', 'inventory', 'returns', 'routes'],
  risk: ['fraud_scores', 'alerts', 'kyc_checks', 'disputes', 'blocklists', 'limits'],
  search: ['queries', 'rankings', 'impressions', 'synonyms', 'index_stats', 'click_models'],
};
const VARIANTS = ['daily', 'hourly', 'raw', 'clean', 'agg', 'snapshot', 'history', 'v2'];
const PEOPLE = [
  ['Ada Lovelace', 'ada@example.com'],
  ['Grace Hopper', 'grace@example.com'],
  ['Linus Torvalds', 'linus@example.com'],
  ['Margaret Hamilton', 'margaret@example.com'],
  ['Alan Turing', 'alan@example.com'],
  ['Barbara Liskov', 'barbara@example.com'],
  ['Edsger Dijkstra', 'edsger@example.com'],
  ['Frances Allen', 'frances@example.com'],
] as const;
const TAGS = ['pii', 'finance-critical', 'gdpr', 'experimental', 'deprecated', 'public', 'ml-feature', 'kpi'];
const FAILURES = [
  'Error (exit code 1): relation "staging.orders_tmp" does not exist',
  'OOMKilled (exit code 137)',
  'Error (exit code 2): upstream file s3://landing/2026/11/21/part-0003.parquet not found',
  'step group deemed errored due to child main errored',
  'Error (exit code 1): schema check failed: column amount changed type from DECIMAL to STRING',
];

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

export function generateDemoWorld(options: { now: Date; seed?: number; perTeam?: number }): DemoWorld {
  const rnd = random(options.seed ?? 20261121);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)] as T;
  const now = options.now.getTime();
  const perTeam = options.perTeam ?? 40;
  const world: DemoWorld = { items: [], producers: {}, cronWorkflows: [], workflows: [], scenarios: {} };

  for (const [team, nouns] of Object.entries(TEAMS)) {
    const namespace = `data-${team}`;
    const names: string[] = [];
    for (const noun of nouns) for (const variant of VARIANTS) names.push(`${team}.${noun}_${variant}`);
    for (const name of names.slice(0, perTeam)) {
      const roll = rnd();
      const scenario: Scenario =
        roll < 0.6
          ? 'healthy'
          : roll < 0.7
            ? 'failed'
            : roll < 0.79
              ? 'late'
              : roll < 0.84
                ? 'running'
                : roll < 0.93
                  ? 'external'
                  : roll < 0.97
                    ? 'no-sla'
                    : roll < 0.985
                      ? 'missing-producer'
                      : 'cannot-submit';
      world.scenarios[name] = scenario;
      const hourly = name.endsWith('_hourly') || name.endsWith('_raw') || rnd() < 0.25;
      const intervalMs = hourly ? HOUR : 24 * HOUR;
      const slaMs = hourly ? 3 * HOUR : 30 * HOUR;
      const [ownerName, ownerEmail] = pick(PEOPLE);
      const tags = [...new Set([pick(TAGS), ...(rnd() < 0.4 ? [pick(TAGS)] : [])])];
      const table = name.slice(team.length + 1);
      const cronName = `${table.replaceAll('_', '-')}-refresh`;
      const durationMs = Math.round((2 + rnd() * 25) * 60_000);

      // The last scheduled start at or before now, on the cron's grid.
      const minute = Math.floor(rnd() * 60);
      const hourOfDay = 1 + Math.floor(rnd() * 5);
      const schedule = hourly ? `${minute} * * * *` : `${minute} ${hourOfDay} * * *`;
      const gridNow = hourly
        ? Math.floor((now - minute * 60_000) / HOUR) * HOUR + minute * 60_000
        : Math.floor((now - (hourOfDay * 60 + minute) * 60_000) / (24 * HOUR)) * 24 * HOUR +
          (hourOfDay * 60 + minute) * 60_000;
      // Late ones stopped being refreshed a while ago.
      const missed = scenario === 'late' ? Math.ceil(slaMs / intervalMs) + 1 + Math.floor(rnd() * 4) : 0;
      const lastStart = gridNow - missed * intervalMs;
      const runs: { start: number; end: number | null; phase: string; message?: string }[] = [];
      for (let i = 3; i >= 0; i--) {
        const start = lastStart - i * intervalMs + Math.floor(rnd() * 20_000);
        runs.push({ start, end: start + durationMs, phase: 'Succeeded' });
      }
      const newest = runs[runs.length - 1] as (typeof runs)[number];
      if (scenario === 'failed') {
        newest.phase = rnd() < 0.8 ? 'Failed' : 'Error';
        newest.message = pick(FAILURES);
        if (newest.end !== null && newest.end > now) newest.end = now - 60_000;
      }
      if (scenario === 'running') {
        newest.phase = 'Running';
        newest.end = null;
      }
      // A healthy run that has not finished yet at `now` is running.
      if (newest.end !== null && newest.end > now && newest.phase === 'Succeeded') {
        newest.phase = 'Running';
        newest.end = null;
      }
      const lastSuccess = [...runs].reverse().find((r) => r.phase === 'Succeeded');
      // Some datasets were never loaded as far as the catalog knows, or it has no SLA for them.
      const unknowable = scenario === 'missing-producer' || (scenario === 'external' && rnd() < 0.3);
      const lastUpdated = unknowable ? null : (lastSuccess?.end ?? null);

      world.items.push({
        name,
        team,
        owner: { name: ownerName, email: ownerEmail },
        description: `${table.replaceAll('_', ' ')} of the ${team} domain, ${hourly ? 'refreshed hourly' : 'refreshed daily'}.`,
        freshness: {
          last_updated_at: lastUpdated === null ? null : iso(lastUpdated),
          sla: scenario === 'no-sla' || unknowable ? null : hourly ? 'PT3H' : 'PT30H',
        },
        tags,
        tier: pick(['gold', 'silver', 'bronze'] as const),
        stats: { row_count: Math.floor(rnd() * 50_000_000) },
      });
      if (scenario === 'external') continue;
      world.producers[name] = { namespace, cronWorkflow: cronName };
      if (scenario === 'missing-producer') continue;

      const created = iso(now - 90 * 24 * HOUR);
      const running = runs.filter((r) => r.phase === 'Running');
      world.cronWorkflows.push({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'CronWorkflow',
        metadata: { name: cronName, namespace, creationTimestamp: created, labels: { team } },
        spec: {
          schedules: [schedule],
          timezone: 'UTC',
          concurrencyPolicy: 'Forbid',
          suspend: scenario === 'late' && rnd() < 0.5,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 1,
          workflowSpec: { workflowTemplateRef: { name: `refresh-${table.replaceAll('_', '-')}` } },
        },
        status: {
          lastScheduledTime: iso(newest.start),
          active: running.map((r) => ({
            kind: 'Workflow',
            namespace,
            name: `${cronName}-${Math.floor(r.start / 1000)}`,
            apiVersion: 'argoproj.io/v1alpha1',
          })),
          succeeded: 400 + Math.floor(rnd() * 1000),
          failed: scenario === 'failed' ? 1 + Math.floor(rnd() * 5) : Math.floor(rnd() * 2),
          phase: 'Active',
          conditions:
            scenario === 'cannot-submit'
              ? [
                  {
                    type: 'SubmissionError',
                    status: 'True',
                    message: `Failed to submit Workflow: workflowtemplates.argoproj.io "refresh-${table.replaceAll('_', '-')}" not found`,
                  },
                ]
              : [],
        },
      });
      for (const r of runs) {
        const wfName = `${cronName}-${Math.floor(r.start / 1000)}`;
        world.workflows.push({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Workflow',
          metadata: {
            name: wfName,
            namespace,
            creationTimestamp: iso(r.start - 1000),
            labels: {
              'workflows.argoproj.io/cron-workflow': cronName,
              'workflows.argoproj.io/phase': r.phase,
              ...(r.end !== null ? { 'workflows.argoproj.io/completed': 'true' } : {}),
            },
          },
          spec: { workflowTemplateRef: { name: `refresh-${table.replaceAll('_', '-')}` } },
          status: {
            phase: r.phase,
            startedAt: iso(r.start),
            finishedAt: r.end === null ? null : iso(r.end),
            progress: r.phase === 'Succeeded' ? '3/3' : r.phase === 'Running' ? '1/3' : '1/3',
            ...(r.message ? { message: r.message } : {}),
          },
        });
      }
    }
  }
  return world;
}
