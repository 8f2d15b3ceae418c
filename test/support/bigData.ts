import type { CatalogItem } from '../../sandbox/catalog/demoWorld.ts';

// Issue 15, item 2: inputs larger than any single Slack view holds, shared by the integration
// tests (the pipeline) and the Slack end-to-end test (the simulator).

export const BIG_NOW = new Date('2026-11-21T12:00:00Z');
const HOUR = 3_600_000;
export const BIG_TEAMS = ['sales', 'finance', 'logistics', 'risk'];
export const BIG_DATASET_COUNT = 320;

/** `sales.0007_…` padded to exactly 120 characters with name characters. */
export const longName = (team: string, i: number): string => {
  const head = `${team}.${String(i).padStart(4, '0')}_`;
  return `${head}${'customer_lifetime_value_by_region_and_channel_'.repeat(4)}`.slice(0, 120);
};

/** 320 datasets over four teams (dataset i is of team i mod 4); every fifth is late. */
export function bigCatalog(): CatalogItem[] {
  return Array.from({ length: BIG_DATASET_COUNT }, (_, i) => {
    const team = BIG_TEAMS[i % BIG_TEAMS.length] ?? 'sales';
    const late = i % 5 === 0;
    return {
      name: longName(team, i),
      team,
      owner: { name: 'Ada Lovelace', email: 'ada@example.com' },
      description: `Dataset number ${i} of the ${team} domain, described at length. `.repeat(20),
      freshness: {
        last_updated_at: new Date(BIG_NOW.getTime() - (late ? 40 : 2) * HOUR).toISOString(),
        sla: 'PT30H',
      },
      // Dataset 1 carries more tags than one Slack field holds (2,000 characters).
      tags: i === 1 ? Array.from({ length: 300 }, (_, t) => `tag-with-a-long-name-${t}`) : ['kpi'],
      tier: 'gold',
      stats: { row_count: i },
    };
  });
}
export const BIG_LATE_COUNT = Math.ceil(BIG_DATASET_COUNT / 5);

export const REGIONS = Array.from({ length: 300 }, (_, i) => `region-${String(i).padStart(3, '0')}`);
/** A long pattern, as a real parameter's might be: every message naming it stays short anyway. */
const LONG_PATTERN = `(?:${Array.from({ length: 20 }, (_, i) => `prefix${i}_[a-z]{1,8}`).join('|')})`;
/** 25 parameters; the first, `region`, allows 300 values. */
export const bigParameters = [
  { name: 'region', type: 'enum', values: REGIONS, description: 'Where the job runs' },
  { name: 'dataset', type: 'dataset' },
  { name: 'from', type: 'date' },
  { name: 'to', type: 'date' },
  { name: 'mode', type: 'enum', values: ['append', 'overwrite'], default: 'append' },
  ...Array.from({ length: 12 }, (_, i) => ({
    name: `option_with_a_long_descriptive_name_number_${String(i).padStart(2, '0')}`,
    type: 'string',
    pattern: LONG_PATTERN,
    description: 'A string with a long pattern; '.repeat(8),
  })),
  ...Array.from({ length: 4 }, (_, i) => ({ name: `count${i}`, type: 'int', min: 1, max: 100, default: 5 })),
  ...Array.from({ length: 4 }, (_, i) => ({ name: `flag${i}`, type: 'bool', default: false })),
];
export const BIG_TASK = 'big-backfill';
export const bigTask = (template: string) => ({
  name: BIG_TASK,
  description: 'A backfill with every knob',
  workflowTemplate: template,
  parameters: bigParameters,
});
/** Plenty of tasks: with the eight of the task fixture, more than two pages of `task list`. */
export const choreTasks = (template: string) =>
  Array.from({ length: 37 }, (_, i) => ({
    name: `chore-${String(i).padStart(2, '0')}`,
    description: `Routine chore number ${i}, described at the length people do. `.repeat(4).slice(0, 300),
    workflowTemplate: template,
    parameters: [{ name: 'message', type: 'string', maxLength: 300 }],
  }));
