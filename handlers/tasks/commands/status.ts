import { z } from 'zod';
import { UpstreamError } from '../../../core/errors.ts';
import { defineCommand } from '../deps.ts';
import { findRun, mayControl, runRef } from '../runAccess.ts';
import { goneNote, statusMessage } from '../views/runs.ts';
import { runLinks } from '../watcher.ts';
import { summarizeWorkflow, type WorkflowSummary } from '../workflowSummary.ts';

export const taskStatus = defineCommand({
  name: 'task status',
  summary: "Show a task run's phase, progress and steps, fresh from Argo",
  usage: 'task status <run>',
  examples: ['task status 1'],
  description:
    'A run is named by its number (1, or #1) or by its Argo workflow name (such as backfill-x7k2p); "task runs" lists them.',
  params: { positionals: ['run'] },
  args: z.object({ run: runRef }),
  run: async (a, ctx) => {
    let run = await findRun(ctx, a.run);
    const { argo, taskRuns } = ctx.deps;
    let summary: WorkflowSummary | undefined;
    let note: string | undefined;
    let answer: 'gone' | 'unanswered' | undefined;
    if (run.workflowName && argo) {
      try {
        summary = summarizeWorkflow(await argo.get(run.namespace, run.workflowName));
        // Keep the record fresh; announcing the end stays the watcher's job (once).
        run =
          (await taskRuns.update(run.id, {
            phase: summary.phase,
            progress: summary.progress,
            failedStep: summary.failed?.step ?? null,
            message: summary.failed?.message ?? summary.message,
            startedAt: summary.startedAt,
            finishedAt: summary.finishedAt,
          })) ?? run;
      } catch (error) {
        if (!(error instanceof UpstreamError)) throw error;
        if (error.status === 404) {
          answer = 'gone';
          note = goneNote(run);
        } else {
          answer = 'unanswered';
          note = `Argo did not answer (${error.message}); this is dpbot's last record, from ${run.updatedAt.toISOString()}. Ask again with "task status ${run.id}".`;
        }
      }
    } else if (run.workflowName) note = "argo.url is not set; this is dpbot's last record.";
    return statusMessage(run, {
      now: ctx.deps.now(),
      links: runLinks(ctx.deps, run),
      steps: summary?.steps ?? [],
      running: summary?.running ?? [],
      mayCancel: mayControl(ctx, run),
      note,
      argo: answer,
    });
  },
});
