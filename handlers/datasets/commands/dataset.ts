import { z } from 'zod';
import { NotFoundError } from '../../../core/errors.ts';
import { nearOrContaining, suggestion } from '../../../core/suggest.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import { datasetName } from '../config.ts';
import type { DatasetRow } from '../datasetService.ts';
import { type DatasetsDeps, defineCommand } from '../deps.ts';
import { datasetNamed } from '../names.ts';
import { datasetMessage, type QuickButton } from '../views.ts';
import { datasetService } from './datasets.ts';

/** The configured quick actions that apply to this dataset and that the caller may run. */
export function quickActions(row: DatasetRow, ctx: CommandContext<DatasetsDeps>): QuickButton[] {
  const team = row.catalog?.team ?? null;
  return ctx.deps.config.datasets.quickActions.flatMap((qa) => {
    if (team === null && (qa.command.includes('{team}') || qa.resource.includes('{team}'))) return [];
    const fill = (template: string, quote: boolean) =>
      template
        .replaceAll('{name}', quote ? quoteArg(row.name) : row.name)
        .replaceAll('{team}', quote ? quoteArg(team ?? '') : (team ?? ''));
    if (!ctx.may(qa.action, fill(qa.resource, false))) return [];
    return [{ label: qa.label, command: fill(qa.command, true) }];
  });
}

export const dataset = defineCommand({
  name: 'dataset',
  summary: 'Show one dataset: status, how late, owner, last runs and quick actions',
  usage: 'dataset <name>',
  examples: ['dataset sales.orders_daily'],
  params: { positionals: ['name'] },
  args: z.object({ name: datasetName }),
  action: 'datasets.read',
  resourceKinds: ['dataset'],
  resource: (args) => `dataset:${args.name}`,
  names: async (args, ctx) => [await datasetNamed(ctx.deps, args.name)],
  run: async (args, ctx) => {
    const service = datasetService(ctx);
    const detail = await service.detail(args.name);
    if (!detail) {
      // Suggested only among the datasets the caller may read, as the pipeline's name check does.
      const mine = (await service.names()).filter((n) => ctx.may('datasets.read', `dataset:${n}`));
      throw new NotFoundError(
        `no dataset "${args.name}" in the catalog${suggestion(nearOrContaining(args.name, mine))} (datasets lists them)`,
      );
    }
    return datasetMessage({
      row: detail.row,
      notices: detail.notices,
      asOf: detail.asOf,
      now: ctx.deps.now(),
      quickButtons: quickActions(detail.row, ctx),
      teamButton: ctx.may('datasets.read', 'dataset:*'),
    });
  },
});
