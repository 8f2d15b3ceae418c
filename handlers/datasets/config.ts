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
  }),
);

export type DatasetsConfig = z.output<typeof datasetsConfigSchema>;
