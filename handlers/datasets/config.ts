import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';
import { catalogSchema as catalog } from '../../integrations/datasets/config.ts';
import { ACTION_PATTERN, RESOURCE_PATTERN } from '../../policies/patterns.ts';

/** Left out or left empty (YAML null): take the defaults. */
const defaulted = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);

/** Dataset names as commands and resources accept them: `sales.orders`, `orders_daily`. */
export const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
export const datasetName = z
  .string()
  .regex(DATASET_NAME, { error: 'expected a dataset name such as sales.orders (letters, digits, . _ -)' });

const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: 'expected a Kubernetes name (lower-case, digits, -)' })
  .max(253);

const argo = z.strictObject({
  url: z.url(),
  timeout: duration().prefault('5s'),
});

const producer = z.strictObject({ namespace: k8sName, cronWorkflow: k8sName });

const quickAction = z.strictObject({
  label: z.string().min(1).max(30),
  /** Command text run by the button; `{name}` and `{team}` are filled in. */
  command: z.string().min(1).max(500),
  action: z.string().regex(ACTION_PATTERN, { error: 'expected an action such as tasks.run' }),
  /** Resource the caller must hold the action on; `{name}` and `{team}` are filled in. */
  resource: z
    .string()
    .min(1)
    .max(200)
    .refine((r) => RESOURCE_PATTERN.test(r.replaceAll('{name}', 'x').replaceAll('{team}', 'x')), {
      error: 'expected a resource such as task:backfill or dataset:{name}',
    })
    .default('*'),
});

const PARAMETER_NAME = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,62}$/, { error: 'expected a task parameter name' });

/**
 * Alerts for datasets past their freshness SLA: one message per lateness in the owning team's
 * channel, with the producer's last runs and a Backfill button that opens the backfill task's
 * form with the missing days filled in.
 */
const lateAlerts = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** How often the sweep looks (five-field cron, UTC); it runs once per tick across replicas. */
    schedule: z
      .string()
      .regex(/^\S+( \S+){4}$/, { error: 'expected a five-field cron such as "*/5 * * * *"' })
      .default('*/5 * * * *'),
    /** The catalog team's channel (a name or an ID), by team. */
    teamChannels: z.record(z.string().min(1), z.string().min(1)).default({}),
    /** Where a team without a channel of its own is alerted; left out: such teams get no alert. */
    channel: z.string().min(1).optional(),
    /** Days are counted in this zone when the producer's CronWorkflow names none. */
    timezone: z
      .string()
      .refine(
        (tz) => {
          try {
            new Intl.DateTimeFormat('en-US', { timeZone: tz });
            return true;
          } catch {
            return false;
          }
        },
        { error: 'expected an IANA time zone such as Europe/Berlin' },
      )
      .default('UTC'),
    /** New alerts one sweep posts at most, so a catalog that goes wrong does not flood the channels. */
    maxPerSweep: integer({ min: 1, max: 100 }).default(20),
    /** The task the Backfill button opens, and its parameters for the dataset and the first and last day. */
    backfill: z
      .strictObject({
        task: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, { error: 'expected a task name such as backfill' }),
        dataset: PARAMETER_NAME.default('dataset'),
        from: PARAMETER_NAME.default('from'),
        to: PARAMETER_NAME.default('to'),
      })
      .prefault({ task: 'backfill' }),
  })
  .superRefine((c, ctx) => {
    if (c.enabled && !c.channel && Object.keys(c.teamChannels).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['channel'],
        message: 'late alerts need somewhere to go: set channel, teamChannels, or both',
      });
  });

export const datasetsConfigSchema = defaulted(
  z.strictObject({
    cacheTtl: duration().prefault('60s'),
    errorTtl: duration().prefault('15s'),
    maxStale: duration().prefault('1h'),
    pageSize: integer({ min: 1, max: 20 }).default(10),
    runsShown: integer({ min: 1, max: 20 }).default(5),
    catalog: catalog.optional(),
    argo: argo.optional(),
    producers: z.record(datasetName, producer).default({}),
    quickActions: z.array(quickAction).max(5).default([]),
    lateAlerts: defaulted(lateAlerts),
  }),
);

export type DatasetsConfig = z.output<typeof datasetsConfigSchema>;
