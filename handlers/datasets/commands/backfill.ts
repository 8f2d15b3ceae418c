import { z } from 'zod';
import { InputError, NotFoundError } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { quoteArg } from '../../../pipeline/views/modal.ts';
import { TASK_NAME, TASKS_RUN, taskModal, withTeamChoices } from '../../tasks/index.ts';
import { backfillRange, missingDays } from '../backfillRange.ts';
import { datasetName } from '../config.ts';
import { defineCommand } from '../deps.ts';
import { datasetNamed } from '../names.ts';
import { backfillFormText } from '../views.ts';
import { datasetService } from './datasets.ts';

/** The backfill task a typed `backfill` authorizes against when it names none. */
const DEFAULT_TASK = 'backfill';

/**
 * The Backfill button of a late dataset's alert: the backfill task's form, filled in with the
 * dataset and its missing days. It is authorized as running the task (tasks.run on task:<task>),
 * and submitting the form runs `task run` with every check of a typed one.
 */
export const datasetBackfill = defineCommand({
  name: 'backfill',
  summary: 'Open the backfill form for a late dataset, its missing days filled in',
  usage: 'backfill <name> [task=<task>]',
  examples: ['backfill sales.orders_daily'],
  description:
    'The missing days run from the day after the last update to today, in the producer CronWorkflow’s time zone (else datasets.lateAlerts.timezone), cut to what the task takes at once (its maxSpan and date bounds: the most recent days first, and the form says so). Needs tasks.run on the backfill task, as running it does; the form’s Run submits "task run" with all its checks.',
  params: { positionals: ['name'], keyValues: ['task'] },
  args: z.object({
    name: datasetName,
    task: z
      .string()
      .regex(TASK_NAME, { error: 'expected a task name such as backfill' })
      .default(DEFAULT_TASK),
  }),
  action: TASKS_RUN,
  resourceKinds: ['task'],
  resource: (args) => `task:${args.task}`,
  names: async (args, ctx) => [await datasetNamed(ctx.deps, args.name)],
  run: async (args, ctx) => {
    const settings = ctx.deps.config;
    const names = settings.datasets.lateAlerts.backfill;
    // The grant was checked on the task named; it must be the one configured to backfill.
    if (args.task !== names.task)
      throw new InputError(
        `the backfill task here is ${names.task} (datasets.lateAlerts.backfill.task): "backfill ${quoteArg(args.name)} task=${names.task}"`,
      );
    const configured = settings.tasks?.find((t) => t.name === names.task);
    if (!configured)
      throw new NotFoundError(
        `there is no task "${names.task}" (datasets.lateAlerts.backfill.task names it); ask ${settings.access.adminContact}`,
      );
    const task = withTeamChoices(configured, { teams: settings.teams ?? [] });
    const detail = await datasetService(ctx).detail(args.name);
    if (!detail) throw new NotFoundError(`no dataset "${args.name}" in the catalog ("datasets" lists them)`);
    const lastUpdated = detail.row.status.freshAt;
    if (!lastUpdated)
      throw new InputError(
        `nobody knows when ${args.name} was last updated, so the missing days are unknown; "task run ${task.name} ${names.dataset}=${quoteArg(args.name)}" opens the form to pick them`,
      );
    const timeZone = detail.row.producer?.timezone ?? settings.datasets.lateAlerts.timezone;
    const missing = missingDays(lastUpdated, ctx.deps.now(), timeZone);
    const range = backfillRange(task, names, missing);
    if (!range.ok) throw new InputError(range.problem);
    const given = { [names.dataset]: args.name, [names.from]: range.from, [names.to]: range.to };
    const note = [
      `${args.name} was last updated ${formatTime(lastUpdated)}: the missing days are ${missing.from} to ${missing.to} (${timeZone}).`,
      ...range.notes.map((n) => `${n[0]?.toUpperCase() ?? ''}${n.slice(1)}.`),
    ].join(' ');
    const opened = await ctx.openModal(
      taskModal(task, given, { channel: ctx.channel, withTicket: Boolean(settings.jira?.url), note }),
    );
    const detailOf = {
      task: task.name,
      dataset: args.name,
      lastUpdated: lastUpdated.toISOString(),
      missing,
      from: range.from,
      to: range.to,
      cut: range.notes.length > 0,
    };
    if (opened) {
      await ctx.auditStep({ outcome: 'form_opened', detail: detailOf });
      return undefined;
    }
    // No form here (the console, the CLI): the command that runs it.
    const command = `task run ${task.name} ${Object.entries(given)
      .map(([k, v]) => `${k}=${quoteArg(v)}`)
      .join(' ')}`;
    return backfillFormText(command, note);
  },
});
