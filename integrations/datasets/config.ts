import { z } from 'zod';
import { duration } from '../../core/config/duration.ts';
import { integer } from '../../core/config/fields.ts';

/** Left out or left empty (YAML null): take the defaults. */
const defaulted = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);

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

/** `datasets.catalog`: where the dataset catalog is and how to read its JSON. */
export const catalogSchema = z.strictObject({
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

export type CatalogConfig = z.output<typeof catalogSchema>;
