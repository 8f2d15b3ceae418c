import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';
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

/** A dotted path into a JSON object: `owner.email`, `owners.0.email`; empty means the value itself. */
const jsonPath = z.string().regex(/^([A-Za-z0-9_$@-]+(\.[A-Za-z0-9_$@-]+)*)?$/, {
  error: 'expected a dotted path such as owner.email',
});

const pagination = defaulted(
  z.strictObject({
    /** none: one request; page: page/limit parameters; cursor: a cursor from each response. */
    type: z.enum(['none', 'page', 'cursor']).default('none'),
    pageParam: z.string().min(1).default('page'),
    limitParam: z.string().min(1).default('limit'),
    pageSize: integer({ min: 1, max: 1000 }).default(100),
    firstPage: integer({ min: 0, max: 1 }).default(1),
    cursorParam: z.string().min(1).default('cursor'),
    nextCursorPath: jsonPath.default('next_cursor'),
    maxPages: integer({ min: 1, max: 1000 }).default(50),
  }),
);

const fields = defaulted(
  z.strictObject({
    name: jsonPath.min(1).default('name'),
    team: jsonPath.default('team'),
    owner: jsonPath.default('owner'),
    description: jsonPath.default('description'),
    lastUpdated: jsonPath.default('last_updated'),
    freshnessSla: jsonPath.default('freshness_sla'),
    tags: jsonPath.default('tags'),
    /** Label shown → path: further fields shown in `dataset <name>`. */
    extra: z.record(z.string().min(1).max(40), jsonPath.min(1)).default({}),
  }),
);

const catalog = z.strictObject({
  url: z.url(),
  listPath: z.string().startsWith('/').default('/api/v1/datasets'),
  /** `{name}` is replaced by the URL-encoded dataset name; empty: look names up in the list. */
  getPath: z.string().default('/api/v1/datasets/{name}'),
  /** Where the list response keeps its array; empty: the body is the array. */
  itemsPath: jsonPath.default('data'),
  timeout: duration().prefault('5s'),
  /** The unit of a freshness SLA the catalog gives as a bare number. */
  slaUnit: z.enum(['seconds', 'minutes', 'hours']).default('seconds'),
  pagination,
  fields,
});

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
export type CatalogConfig = z.output<typeof catalog>;
export type ArgoReaderConfig = z.output<typeof argo>;
export type QuickActionConfig = z.output<typeof quickAction>;
