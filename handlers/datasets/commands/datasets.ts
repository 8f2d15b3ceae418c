import { z } from 'zod';
import { InputError, UpstreamError } from '../../../core/errors.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import type { DatasetRow, DatasetService } from '../datasetService.ts';
import { STATUS_ORDER, type StatusCode } from '../datasetStatus.ts';
import { type DatasetsDeps, defineCommand } from '../deps.ts';
import { ago } from '../humanDuration.ts';
import { datasetsPageMessage, noDatasetsMessage } from '../views.ts';

const USAGE = 'datasets [words] [team=x] [status=failed|late|unknown|ok] [tag=t] [q=text] [page=N]';

/** `late,failed` → ['late', 'failed']; `stale` is what people say for late. */
const statusFilter = z
  .string()
  .max(60)
  .transform((text, ctx) => {
    const codes = new Set<StatusCode>();
    for (const raw of text.toLowerCase().split(',')) {
      const word = raw.trim() === 'stale' ? 'late' : raw.trim();
      if ((STATUS_ORDER as readonly string[]).includes(word)) codes.add(word as StatusCode);
      else {
        ctx.addIssue({
          code: 'custom',
          message: `"${raw.trim()}" is not a status: use failed, late (or stale), unknown or ok, several joined by commas`,
        });
        return z.NEVER;
      }
    }
    return [...codes];
  });

/** As long as the longest dataset name (DATASET_NAME), so a whole name can be searched for. */
const word = z.string().min(1).max(128);
/** A bare word; `owner=ada` is a filter datasets does not have, not text to search for. */
const searchWord = word.refine((w) => !/^[A-Za-z][\w.-]*=/.test(w), {
  error: (iss) => `unknown filter "${String(iss.input)}": datasets takes team=, status=, tag=, q= and page=`,
});

export const datasetsArgs = z.object({
  words: z.array(searchWord).max(5).optional(),
  team: z.string().min(1).max(64).optional(),
  status: statusFilter.optional(),
  tag: z.string().min(1).max(64).optional(),
  q: word.optional(),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
});
type Args = z.output<typeof datasetsArgs>;

export function datasetService(ctx: CommandContext<DatasetsDeps>): DatasetService {
  const service = ctx.deps.datasets;
  if (!service) {
    throw new UpstreamError(
      'datasets',
      `no dataset catalog or Argo Workflows is configured (datasets.catalog, datasets.argo); ask ${ctx.deps.config.access.adminContact}`,
    );
  }
  return service;
}

function matches(row: DatasetRow, args: Args, words: string[]): boolean {
  const c = row.catalog;
  if (args.status && !args.status.includes(row.status.code)) return false;
  if (args.team && c?.team?.toLowerCase() !== args.team.toLowerCase()) return false;
  if (args.tag && !c?.tags.some((t) => t.toLowerCase() === args.tag?.toLowerCase())) return false;
  if (words.length === 0) return true;
  const haystack = [row.name, c?.team, c?.owner, c?.description, ...(c?.tags ?? [])]
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return words.every((w) => haystack.includes(w));
}

/** The command text for the same filters on another page (Next / Previous buttons). */
export function datasetsCommandText(args: Args, page: number): string {
  const parts = ['datasets', ...(args.words ?? []).map(quoteArg)];
  if (args.team) parts.push(`team=${quoteArg(args.team)}`);
  if (args.status?.length) parts.push(`status=${args.status.join(',')}`);
  if (args.tag) parts.push(`tag=${quoteArg(args.tag)}`);
  if (args.q) parts.push(`q=${quoteArg(args.q)}`);
  parts.push(`page=${page}`);
  return parts.join(' ');
}

function describeFilters(args: Args): string {
  const text = [...(args.words ?? []), ...(args.q ? [args.q] : [])].join(' ');
  return [
    args.team && `team=${args.team}`,
    args.status?.length && `status=${args.status.join(',')}`,
    args.tag && `tag=${args.tag}`,
    text && `matching "${text}"`,
  ]
    .filter(Boolean)
    .join(', ');
}

export const datasets = defineCommand({
  name: 'datasets',
  summary: 'List datasets, problems first: whose they are and whether they are fresh',
  usage: USAGE,
  examples: ['datasets', 'datasets status=late,failed', 'datasets team=sales tag=pii', 'datasets orders'],
  description:
    'Status: failed (the last run of its CronWorkflow failed), late (older than its freshness SLA), unknown (nothing to judge by), ok. Failed and late come first. Words filter by name, description, owner and tags.',
  params: { positionals: ['words...'], keyValues: ['team', 'status', 'tag', 'q', 'page'] },
  args: datasetsArgs,
  action: 'datasets.read',
  resourceKinds: ['dataset'],
  resource: () => 'dataset:*',
  run: async (args, ctx) => {
    const service = datasetService(ctx);
    const overview = await service.overview();
    const now = ctx.deps.now();
    const words = [...(args.words ?? []), ...(args.q ? args.q.split(/\s+/) : [])]
      .map((w) => w.toLowerCase())
      .filter(Boolean);
    const found = overview.rows.filter((row) => matches(row, args, words));
    const filters = describeFilters(args);
    const freshness = `as of ${ago(now, overview.asOf)}`;

    if (found.length === 0) {
      const teams = [
        ...new Set(overview.rows.map((r) => r.catalog?.team).filter((t): t is string => !!t)),
      ].sort();
      const hint =
        args.team && !teams.some((t) => t.toLowerCase() === args.team?.toLowerCase()) && teams.length > 0
          ? ` There is no team "${args.team}" in the catalog; teams: ${teams.slice(0, 30).join(', ')}.`
          : '';
      const text = `No datasets${filters ? ` match ${filters}` : ' are known'} (of ${overview.rows.length}, ${freshness}).${hint}`;
      return noDatasetsMessage(text, overview.notices);
    }

    const size = ctx.deps.config.datasets.pageSize;
    const pages = Math.ceil(found.length / size);
    const page = Math.min(args.page, pages);
    if (args.page > pages && ctx.entry !== 'button') {
      throw new InputError(
        `page ${args.page} is past the last page (${pages}) of ${found.length} dataset(s)`,
        USAGE,
      );
    }
    const shown = found.slice((page - 1) * size, page * size);
    const moved = args.page > pages ? ` (page ${args.page} no longer exists; this is the last)` : '';
    return datasetsPageMessage({
      filters,
      found,
      shown,
      page,
      pages,
      moved,
      notices: overview.notices,
      freshness,
      now,
      mayOpen: (row) => ctx.may('datasets.read', `dataset:${row.name}`),
      previousCommand: page > 1 ? datasetsCommandText(args, page - 1) : undefined,
      nextCommand: page < pages ? datasetsCommandText(args, page + 1) : undefined,
    });
  },
});
