import { z } from 'zod';
import { errorMessage, InputError, problemsByField, UpstreamError } from '../../../core/errors.ts';
import { nearOrContaining, suggestion } from '../../../core/suggest.ts';
import { ARGO } from '../../../integrations/argo/argoClient.ts';
import type { Workflow } from '../../../integrations/argo/types.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { andMore, clipText } from '../../../pipeline/views/paging.ts';
import {
  authorizeTask,
  findTask,
  TASKS_RUN,
  taskNamed,
  taskNamespace,
  taskResource,
  taskUsage,
  valuesCommand,
} from '../catalog.ts';
import { TASK_NAME, type TaskConfig } from '../config.ts';
import { defineCommand, type TasksDeps } from '../deps.ts';
import { findSubmission } from '../findSubmission.ts';
import { JIRA_KEY, ticketFields } from '../jira.ts';
import { checkRanges, placeholder, type TaskParameter, validateParameters } from '../parameters.ts';
import type { TaskRun } from '../stores/taskRunStore.ts';
import { taskModal } from '../views/form.ts';
import { formatParams, runMessage, startedMessage } from '../views/runs.ts';
import { renderKey, runLinks, scheduleWatch } from '../watcher.ts';

const USAGE = 'task run <task> [name=value ...] [ticket=<JIRA-KEY>]';

/**
 * A submission that got no answer may still have created the workflow. Before the run is called
 * failed, Argo is asked for a workflow carrying this run's labels, so that a slow server costs a
 * late answer rather than a second run when the caller tries again.
 */
async function findLostSubmission(
  ctx: CommandContext<TasksDeps>,
  run: TaskRun,
  error: unknown,
): Promise<Workflow | undefined> {
  const { argo } = ctx.deps;
  // An HTTP status means Argo answered and refused; only a missing answer leaves doubt.
  if (!argo || !(error instanceof UpstreamError) || error.status !== undefined) return undefined;
  try {
    return await findSubmission(argo, run.namespace, run);
  } catch (lookup) {
    ctx.log.warn({ err: lookup, runId: run.id }, 'could not look for a submission that got no answer');
    return undefined;
  }
}

interface Plan {
  task: TaskConfig;
  values: Record<string, string>;
  missing: TaskParameter[];
  ticket: string | undefined;
  /** What the caller typed, for filling in the form. */
  given: Record<string, string>;
}

/** Problems named at most, each cut short: with the usage they must fit one Slack section. */
const PROBLEMS_SHOWN = 5;
const PROBLEM_MAX = 300;
const PROBLEMS_MAX = 1500;

/** `from: must be a date …; to: …; and 3 more problems`. */
function problemsText(problems: readonly string[]): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN).map((p) => clipText(p, PROBLEM_MAX));
  const rest = problems.length - shown.length;
  return [...shown, ...(rest > 0 ? [`and ${rest} more problem(s)`] : [])].join('; ');
}

/** The names a task form's inputs carry as block ids: its parameters and the ticket. */
function fieldNames(task: TaskConfig): string[] {
  return [...task.parameters.map((p) => p.name), 'ticket'];
}

/** Checks the task and its parameters against their types; nothing is sent anywhere. */
function plan(args: { task: string; params: Record<string, string> }, ctx: CommandContext<TasksDeps>): Plan {
  const task = findTask(ctx.deps.config, args.task);
  const { ticket, ...given } = args.params;
  const ticketProblem =
    ticket !== undefined && ticket !== '' && !JIRA_KEY.test(ticket)
      ? `ticket: "${ticket}" is not a Jira issue key such as DP-123`
      : undefined;
  const checked = validateParameters(task.parameters, given, (p) => `"${valuesCommand(task, p)}" lists them`);
  const problems = [
    ...(ticketProblem ? [ticketProblem] : []),
    ...checked.problems,
    ...checkRanges(task.parameters, task.ranges, checked.values),
  ];
  if (problems.length > 0)
    throw new InputError(
      problemsText(problems),
      taskUsage(task),
      problemsByField(problems, fieldNames(task)),
    );
  return { task, values: checked.values, missing: checked.missing, ticket: ticket || undefined, given };
}

/**
 * Plans already made, by the args they were made from. The pipeline hands one request's confirm,
 * approval and run the same args object, so the request plans once; args read again later (a
 * confirmation's click, a form's submission) are a new object and planned anew.
 */
const plans = new WeakMap<object, Plan>();

function planOnce(
  args: { task: string; params: Record<string, string> },
  ctx: CommandContext<TasksDeps>,
): Plan {
  const known = plans.get(args);
  if (known) return known;
  const made = plan(args, ctx);
  plans.set(args, made);
  return made;
}

const CATALOG = 'dataset catalog';

/**
 * Dataset parameters against the catalog, before anything is submitted: a dataset the catalog does
 * not hold is refused, with the nearest names among those the caller may read. When the catalog
 * cannot be read, each parameter's `catalogDown` decides: refuse (the default: nothing is
 * submitted, and the caller is told why), or go on unchecked and say so in `warnings`.
 */
async function checkDatasets(
  p: Plan,
  ctx: CommandContext<TasksDeps>,
  warnings: string[] = [],
): Promise<void> {
  const params = p.task.parameters.filter((q) => q.type === 'dataset' && p.values[q.name] !== undefined);
  const catalog = params.length > 0 ? await ctx.deps.datasetCatalog?.catalogNames() : undefined;
  if (!catalog || catalog.kind === 'none') return;
  const given = (qs: readonly TaskParameter[]) => qs.map((q) => `${q.name}=${p.values[q.name]}`).join(', ');
  if (catalog.kind === 'unreachable') {
    const refusing = params.filter((q) => q.catalogDown !== 'allow');
    if (refusing.length > 0)
      throw new UpstreamError(
        CATALOG,
        `could not be read (${catalog.error}), so ${given(refusing)} cannot be checked and nothing was submitted; try again in a minute`,
      );
    warnings.push(`The ${CATALOG} could not be read (${catalog.error}); ${given(params)} went unchecked.`);
    return;
  }
  const known = new Set(catalog.names);
  const readable = catalog.names.filter((n) => ctx.may('datasets.read', `dataset:${n}`));
  const problems = params.flatMap((q) => {
    const value = p.values[q.name] ?? '';
    return known.has(value)
      ? []
      : [
          `${q.name}: there is no dataset "${value}" in the catalog${suggestion(nearOrContaining(value, readable, 2))} ("datasets" lists them)`,
        ];
  });
  if (problems.length > 0)
    throw new InputError(
      problemsText(problems),
      taskUsage(p.task),
      problemsByField(problems, fieldNames(p.task)),
    );
}

/** The ticket named with ticket=: it must exist. A Jira that cannot answer does not stop the run. */
async function checkTicket(
  ctx: CommandContext<TasksDeps>,
  ticket: string,
  warnings: string[],
): Promise<void> {
  const { jira } = ctx.deps;
  if (!jira)
    throw new InputError(
      `Jira is not configured here (jira.url), so ticket=${ticket} cannot be used; leave it out`,
    );
  try {
    await jira.getIssue(ticket);
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404)
      throw new InputError(
        `Jira issue ${ticket} does not exist (or dpbot may not see it); check the key`,
        undefined,
        { ticket: `Jira issue ${ticket} does not exist (or dpbot may not see it); check the key` },
      );
    if (!(error instanceof UpstreamError)) throw error;
    warnings.push(
      `Could not check ${ticket} in Jira (${error.message}); dpbot will still try to comment on it.`,
    );
    await ctx.auditStep({
      outcome: 'jira_check_failed',
      error: error.message,
      detail: { ticket },
    });
  }
}

/** Opens the task's own ticket when it is configured to; a failure is a warning, not a stop. */
async function openTicket(
  ctx: CommandContext<TasksDeps>,
  task: TaskConfig,
  run: TaskRun,
  warnings: string[],
): Promise<string | null> {
  const { jira } = ctx.deps;
  if (!task.jira || !jira) return null;
  // The request's own label is how a ticket whose creation got no answer is found again.
  const requestLabel = `dpbot-request-${ctx.requestId}`;
  try {
    const fields = ticketFields(run, { argo: runLinks(ctx.deps, run).argo });
    const created = await jira.createIssue({
      project: task.jira.project,
      issueType: task.jira.issueType,
      labels: ['dpbot', `dpbot-task-${task.name}`, requestLabel],
      ...fields,
    });
    return created.key;
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    // No answer is not no ticket: look before reporting none, or the run gets an orphan twin.
    const found =
      error.status === undefined
        ? await jira
            .searchIssues(`project = "${task.jira.project}" AND labels = "${requestLabel}"`, {
              maxResults: 1,
            })
            .then((page) => page.issues[0]?.key)
            .catch(() => undefined)
        : undefined;
    if (found) {
      warnings.push(`Jira answered too late, but it had opened ${found}; the run uses it.`);
      await ctx.auditStep({
        outcome: 'jira_ticket_found',
        error: error.message,
        detail: { runId: run.id, project: task.jira.project, ticket: found },
      });
      return found;
    }
    warnings.push(`No Jira ticket was opened (${error.message}).`);
    await ctx.auditStep({
      outcome: 'jira_ticket_failed',
      error: error.message,
      detail: { runId: run.id, project: task.jira.project },
    });
    return null;
  }
}

function missingReply(p: Plan): never {
  const names = p.missing.map((m) => m.name).join(', ');
  const example = [
    ...Object.entries(p.given).map(([k, v]) => `${k}=${v}`),
    ...p.missing.map((m) => `${m.name}=${placeholder(m)}`),
  ];
  const full = `${p.task.name} needs ${names}: add ${p.missing.map((m) => `${m.name}=${placeholder(m)}`).join(' ')}, as in "task run ${p.task.name} ${example.join(' ')}"`;
  // Many missing parameters make an example longer than a Slack section beside the usage.
  const short = `${p.task.name} needs ${p.missing.length} more parameters: ${andMore(
    p.missing.map((m) => m.name),
    10,
  )}; "task run ${p.task.name}" in Slack opens a form for them`;
  throw new InputError(full.length <= PROBLEMS_MAX ? full : clipText(short, PROBLEMS_MAX), taskUsage(p.task));
}

/** With parameters missing, the form for them (Slack only); whether it opened. */
async function openForm(p: Plan, ctx: CommandContext<TasksDeps>): Promise<boolean> {
  const opened = await ctx.openModal(
    taskModal(
      p.task,
      { ...p.given },
      { channel: ctx.channel, ticket: p.ticket, withTicket: ctx.deps.jira !== undefined },
    ),
  );
  if (opened)
    await ctx.auditStep({
      outcome: 'form_opened',
      detail: { task: p.task.name, missing: p.missing.map((m) => m.name) },
    });
  return opened;
}

/** The run's row and its `submitting` step, before anything is submitted: dpbot does nothing it cannot record. */
async function recordRun(p: Plan, ctx: CommandContext<TasksDeps>): Promise<TaskRun> {
  const namespace = taskNamespace(ctx.deps.config, p.task);
  const run = await ctx.deps.taskRuns.create({
    task: p.task.name,
    params: p.values,
    templateKind: p.task.template.kind,
    templateName: p.task.template.name,
    namespace,
    requestId: ctx.requestId,
    requesterEmail: ctx.caller.email,
    requesterSlackId: ctx.caller.slackUserId,
    channel: ctx.channel,
    jiraKey: p.ticket ?? null,
  });
  await ctx.auditStep({
    action: p.task.action,
    resource: taskResource(p.task, p.values),
    outcome: 'submitting',
    detail: {
      runId: run.id,
      template: p.task.template,
      namespace,
      parameters: p.values,
      ticket: p.ticket ?? null,
    },
  });
  return run;
}

/**
 * Submits the workflow and records its name and phase. A submission whose answer was lost is
 * found again by its dpbot/run label rather than submitted twice; a failed one closes the run.
 */
async function submitRun(
  p: Plan,
  ctx: CommandContext<TasksDeps>,
  argo: NonNullable<TasksDeps['argo']>,
  run: TaskRun,
  warnings: string[],
): Promise<TaskRun> {
  const { deps } = ctx;
  try {
    let wf: Workflow;
    try {
      wf = await argo.submit({
        namespace: taskNamespace(deps.config, p.task),
        kind: p.task.template.kind,
        template: p.task.template.name,
        parameters: p.values,
        // dpbot/run and dpbot/request-id are how a submission without an answer is found again.
        labels: {
          'dpbot/task': p.task.name,
          'dpbot/run': String(run.id),
          'dpbot/requester': ctx.caller.email,
          'dpbot/slack-user': ctx.caller.slackUserId ?? 'none',
          'dpbot/request-id': ctx.requestId,
        },
      });
    } catch (error) {
      const found = await findLostSubmission(ctx, run, error);
      if (!found) throw error;
      wf = found;
      warnings.push(
        `Argo Workflows answered the submission too late, but it had created workflow ${found.metadata.name ?? '?'} (found by its dpbot/run label); it was not submitted twice.`,
      );
      await ctx.auditStep({
        action: p.task.action,
        resource: taskResource(p.task, p.values),
        outcome: 'submit_found',
        detail: { runId: run.id, workflow: found.metadata.name ?? null, error: errorMessage(error) },
      });
    }
    return (
      (await deps.taskRuns.update(run.id, {
        workflowName: wf.metadata.name ?? null,
        phase: wf.status?.phase || 'Pending',
        progress: wf.status?.progress ?? null,
      })) ?? run
    );
  } catch (error) {
    await deps.taskRuns.close(run.id, { phase: 'SubmitFailed', message: errorMessage(error) });
    throw error;
  }
}

/** The progress message in the channel, which the watcher keeps current; a failure is a warning. */
async function postProgress(
  ctx: CommandContext<TasksDeps>,
  submitted: TaskRun,
  warnings: string[],
): Promise<TaskRun> {
  const { deps } = ctx;
  const channel = ctx.channel ?? deps.config.slack.channels.announce;
  if (!channel) return submitted;
  try {
    const ref = await deps.notifier.post(
      channel,
      runMessage(submitted, { now: deps.now(), links: runLinks(deps, submitted) }),
    );
    return (
      (await deps.taskRuns.update(submitted.id, {
        messageChannel: ref.channel,
        messageTs: ref.ts,
        renderedKey: renderKey(submitted, []),
      })) ?? submitted
    );
  } catch (error) {
    ctx.log.warn({ err: error, runId: submitted.id }, 'could not post the progress message');
    warnings.push(
      `Could not post the progress message in ${channel}; "task status ${submitted.id}" shows progress.`,
    );
    return submitted;
  }
}

/** Starts following the workflow; the workflow runs regardless, and the next start re-arms watchers of open runs. */
async function watchRun(ctx: CommandContext<TasksDeps>, runId: number, warnings: string[]): Promise<void> {
  try {
    await scheduleWatch(ctx.deps, runId, ctx.deps.config.argo.pollInterval);
  } catch (error) {
    ctx.log.error({ err: error, runId }, 'could not start watching the run');
    warnings.push(`Progress will not be followed for now; "task status ${runId}" asks Argo directly.`);
  }
}

export const taskRun = defineCommand({
  name: 'task run',
  summary: 'Run an ops task (an Argo workflow) with its parameters',
  usage: USAGE,
  examples: [
    'task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07',
    'task run backfill dataset=sales.orders_daily from=2026-11-01 to=2026-11-07 ticket=DP-1',
    'task run backfill',
  ],
  description:
    'Parameters are checked against their types before anything is sent to Argo, and reach the workflow only as workflow parameters. Missing ones open a form in Slack. With ticket=<KEY> the Jira issue gets a comment when the run ends. "task list" shows the tasks and their parameters.',
  params: { positionals: ['task'], keyValues: 'any' },
  args: z.object({
    task: z
      .string({ error: 'which task? "task list" shows the tasks you may run' })
      .max(64)
      .regex(TASK_NAME, {
        error: 'expected a task name such as backfill; "task list" shows them',
      }),
    params: z.record(z.string(), z.string()).default({}),
  }),
  action: TASKS_RUN,
  resourceKinds: ['task'],
  resource: (a) => `task:${a.task}`,
  names: (a, ctx) => [taskNamed(ctx.deps.config, a.task)],
  confirm: async (a, ctx) => {
    const p = planOnce(a, ctx);
    // With parameters missing, run opens the form; its submission comes back here complete.
    if (p.missing.length > 0) return null;
    authorizeTask(ctx, p.task, p.values);
    if (!p.task.confirm) return null;
    await checkDatasets(p, ctx);
    return {
      summary: `Run ${p.task.name}: ${formatParams(p.values)}`,
      details: [
        p.task.description,
        `${p.task.template.kind} ${p.task.template.name} in namespace ${taskNamespace(ctx.deps.config, p.task)}`,
        ...(p.ticket ? [`Jira ${p.ticket} gets a comment when it ends`] : []),
      ],
    };
  },
  // A task's two-person rule: the pipeline asks its approvers after any confirmation. With
  // parameters missing there is nothing to approve yet; the form's submission comes back here.
  approval: async (a, ctx) => {
    const p = planOnce(a, ctx);
    if (p.missing.length > 0) return null;
    authorizeTask(ctx, p.task, p.values);
    if (p.task.approval) await checkDatasets(p, ctx);
    return p.task.approval ?? null;
  },
  run: async (a, ctx) => {
    const p = planOnce(a, ctx);
    if (p.missing.length > 0) {
      if (await openForm(p, ctx)) return undefined;
      missingReply(p);
    }
    authorizeTask(ctx, p.task, p.values);
    const argo = ctx.deps.argo;
    if (!argo)
      throw new UpstreamError(
        ARGO,
        'not configured: set argo.url (and ARGO_TOKEN) so dpbot can submit workflows',
      );
    const warnings: string[] = [];
    await checkDatasets(p, ctx, warnings);
    if (p.ticket) await checkTicket(ctx, p.ticket, warnings);
    const run = await recordRun(p, ctx);
    let submitted = await submitRun(p, ctx, argo, run, warnings);
    const ticket = p.ticket ? null : await openTicket(ctx, p.task, submitted, warnings);
    if (ticket) submitted = (await ctx.deps.taskRuns.update(run.id, { jiraKey: ticket })) ?? submitted;
    submitted = await postProgress(ctx, submitted, warnings);
    await watchRun(ctx, run.id, warnings);
    return startedMessage(submitted, warnings);
  },
});
