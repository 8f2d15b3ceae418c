import { z } from 'zod';
import { ConflictError, UpstreamError } from '../../../core/errors.ts';
import { ARGO } from '../../../integrations/argo/argoClient.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { personName } from '../../../pipeline/people.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand, type TasksDeps } from '../deps.ts';
import { findRun, requireControl, runRef } from '../runAccess.ts';
import type { TaskRun } from '../stores/taskRunStore.ts';
import { formatParams, humanDuration } from '../views/runs.ts';
import { scheduleWatch } from '../watcher.ts';
import { summarizeWorkflow, type WorkflowSummary } from '../workflowSummary.ts';

/** The run, if it is still running and the caller may stop it; the checks run again after the confirmation. */
async function stoppable(
  ref: string,
  ctx: CommandContext<TasksDeps>,
): Promise<{ run: TaskRun; workflow: string; summary: WorkflowSummary }> {
  const run = await findRun(ctx, ref);
  requireControl(ctx, run, 'stop it');
  if (!run.workflowName)
    throw new ConflictError(`${run.task} #${run.id} was never submitted, so there is nothing to stop`);
  const { argo } = ctx.deps;
  if (!argo) throw new UpstreamError(ARGO, 'not configured: set argo.url (and ARGO_TOKEN)');
  let summary: WorkflowSummary;
  try {
    summary = summarizeWorkflow(await argo.get(run.namespace, run.workflowName));
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404)
      throw new ConflictError(
        `the workflow of ${run.task} #${run.id} (${run.workflowName}) no longer exists in Argo`,
      );
    throw error;
  }
  if (summary.done)
    throw new ConflictError(
      `${run.task} #${run.id} already ended: ${summary.phase}${summary.finishedAt ? ` at ${summary.finishedAt.toISOString()}` : ''}`,
    );
  return { run, workflow: run.workflowName, summary };
}

export const taskCancel = defineCommand({
  name: 'task cancel',
  summary: 'Stop a running task (exit handlers run), or terminate it at once',
  usage: 'task cancel <run> [--terminate]',
  examples: ['task cancel 1', 'task cancel 1 --terminate'],
  description:
    "Stop ends the running steps and still runs the workflow's exit handlers (clean-up, notifications); --terminate ends it at once without them. Whoever started the run, and whoever may run that task, may stop it. Asks for confirmation.",
  params: { positionals: ['run'], flags: { terminate: 'boolean' } },
  args: z.object({ run: runRef, terminate: z.boolean().default(false) }),
  confirm: async (a, ctx) => {
    const { run, workflow, summary } = await stoppable(a.run, ctx);
    const running = summary.startedAt
      ? ` for ${humanDuration(ctx.deps.now().getTime() - summary.startedAt.getTime())}`
      : '';
    return {
      summary: `${a.terminate ? 'Terminate' : 'Stop'} ${run.task} #${run.id} (${summary.phase}${summary.progress ? ` ${summary.progress}` : ''}${running})`,
      details: [
        `workflow ${workflow} in ${run.namespace}, started by ${run.requesterEmail}`,
        formatParams(run.params),
        a.terminate
          ? 'Terminate ends it at once; exit handlers (clean-up) do not run'
          : 'Stop ends the running steps; exit handlers (clean-up) still run',
      ],
    };
  },
  run: async (a, ctx) => {
    const { run, workflow, summary } = await stoppable(a.run, ctx);
    const { argo, taskRuns } = ctx.deps;
    if (!argo) throw new UpstreamError(ARGO, 'not configured');
    if (a.terminate) await argo.terminate(run.namespace, workflow);
    else await argo.stop(run.namespace, workflow, `stopped by ${ctx.caller.email} from dpbot`);
    await taskRuns.update(run.id, {
      cancelledBy: ctx.caller.email,
      cancelMode: a.terminate ? 'terminate' : 'stop',
    });
    // Look again soon, so the announcement shows the end without waiting a whole interval.
    if (!run.closedAt)
      await scheduleWatch(ctx.deps, run.id, 1000).catch((error: unknown) =>
        ctx.log.warn(
          { err: error, runId: run.id },
          'could not hurry the watcher; it looks at its usual time',
        ),
      );
    const verb = a.terminate ? 'terminated' : 'stopped';
    return noticeMessage(
      `${personName(ctx.caller)} ${verb} ${run.task} #${run.id} (workflow ${workflow}, was ${summary.phase}${summary.progress ? ` ${summary.progress}` : ''}).`,
      'in_channel',
    );
  },
});
