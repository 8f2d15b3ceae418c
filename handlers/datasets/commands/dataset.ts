import { Blocks, Elements, Md } from 'slack-block-builder';
import { z } from 'zod';
import { NotFoundError } from '../../../core/errors.ts';
import { nearOrContaining, suggestion } from '../../../core/suggest.ts';
import { formatTime } from '../../../core/time.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { blocks } from '../../../pipeline/message.ts';
import { withMentions } from '../../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  RUN_ACTION,
  SECTION_TEXT_LIMIT,
  VIEW_ACTION,
} from '../../../pipeline/views/common.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import { clipText } from '../../../pipeline/views/paging.ts';
import { datasetName } from '../config.ts';
import type { DatasetRow } from '../datasetService.ts';
import { type DatasetsDeps, defineCommand } from '../deps.ts';
import { ago, humanDuration } from '../humanDuration.ts';
import { describeSchedule, describeStatus, runLine, STATUS_ICON } from '../views.ts';
import { datasetService } from './datasets.ts';

/** Slack's limit on one field of a section is 2,000 characters. */
const FIELD_MAX = 1990;

interface QuickButton {
  label: string;
  command: string;
}

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
  names: async (args, ctx) => [
    {
      kind: 'dataset',
      name: args.name,
      known: await ctx.deps.datasets?.allNames(),
      resource: (n) => `dataset:${n}`,
      hint: '"datasets" lists them',
    },
  ],
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
    const now = ctx.deps.now();
    const { row } = detail;
    const c = row.catalog;
    const s = row.status;
    const headline = `${STATUS_ICON[s.code]} ${s.code} — ${describeStatus(row, now)}`;
    // [label, plain text, mrkdwn]: the schedule is code in Slack, where `*` would mean bold.
    const fields: [string, string, string?][] = [
      ['Team', c?.team ?? '—'],
      ['Owner', c?.owner ?? '—'],
      ['Last updated', s.freshAt ? `${formatTime(s.freshAt)} (${ago(now, s.freshAt)})` : 'unknown'],
      ['Freshness SLA', c?.freshnessSlaMs ? humanDuration(c.freshnessSlaMs) : 'none'],
      [
        s.lateByMs !== null ? 'Late since' : 'Due by',
        s.dueAt
          ? `${formatTime(s.dueAt)}${s.lateByMs !== null ? ` (${humanDuration(s.lateByMs)})` : ''}`
          : '—',
      ],
      ['Tags', c?.tags.length ? c.tags.join(', ') : '—'],
    ];
    if (row.producerRef) {
      fields.push(['Producer', `CronWorkflow ${row.producerRef.namespace}/${row.producerRef.cronWorkflow}`]);
      if (row.producer?.found)
        fields.push([
          'Schedule',
          describeSchedule(row.producer, now),
          describeSchedule(row.producer, now, (p) => codeText(p)),
        ]);
    }
    const extra: [string, string][] = Object.entries(c?.extra ?? {});
    const runs = row.producer?.runs ?? [];
    const runLines = runs.map((r) => runLine(r, now));
    if (row.producer?.found && row.producer.active > 0 && !runs.some((r) => r.phase === 'Running'))
      runLines.unshift(`⏳ ${row.producer.active} run(s) active`);
    const buttons = [
      ...quickActions(row, ctx).map((qa) =>
        Elements.Button({ text: qa.label, actionId: RUN_ACTION, value: qa.command }),
      ),
      ...(c?.team && ctx.may('datasets.read', 'dataset:*')
        ? [
            Elements.Button({
              text: `All of ${c.team}`.slice(0, 75),
              actionId: VIEW_ACTION,
              value: `datasets team=${quoteArg(c.team)}`,
            }),
          ]
        : []),
    ];
    const freshness = `as of ${ago(now, detail.asOf)}`;
    const fieldText = (pairs: [string, string, string?][]) =>
      pairs.map(([k, v, md]) =>
        // Slack refuses a field over 2,000 characters; catalog values (tags, extras) have no bound.
        clipText(`${Md.bold(escapeMrkdwn(clipText(k, 100)))}\n${md ?? escapeMrkdwn(v)}`, FIELD_MAX),
      );
    const text = [
      `${row.name}: ${headline}`,
      ...fields.map(([k, v]) => `${k}: ${v}`),
      ...extra.map(([k, v]) => `${k}: ${v}`),
      ...(c?.description ? [c.description] : []),
      ...(runLines.length ? ['Last runs:', ...runLines] : []),
      ...detail.notices,
      freshness,
    ].join('\n');
    return {
      // Escaped whole: with the requesters' mentions in it, Slack reads the fallback as mrkdwn.
      text: withMentions(escapeMrkdwn(text)),
      blocks: blocks(
        Blocks.Header({ text: row.name.slice(0, 150) }),
        Blocks.Section({ text: clipText(escapeMrkdwn(headline), SECTION_TEXT_LIMIT) }),
        detail.notices.length > 0 &&
          Blocks.Section({ text: detail.notices.map((n) => `⚠️ ${escapeMrkdwn(n)}`).join('\n') }),
        Blocks.Section().fields(fieldText(fields.slice(0, 10))),
        extra.length > 0 && Blocks.Section().fields(fieldText(extra.slice(0, 10))),
        c?.description
          ? Blocks.Section({ text: clipText(escapeMrkdwn(c.description.slice(0, 2000)), SECTION_TEXT_LIMIT) })
          : undefined,
        ...(runLines.length
          ? lineSections([Md.bold('Last runs'), ...runLines.map((l) => withMentions(escapeMrkdwn(l)))], 2)
          : []),
        Blocks.Context().elements(freshness),
        buttons.length > 0 && Blocks.Actions().elements(...buttons),
      ),
    };
  },
});
