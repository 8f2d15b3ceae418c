import { z } from 'zod';
import { integer } from '../../../core/config/fields.ts';
import { ConflictError, NotFoundError, UpstreamError } from '../../../core/errors.ts';
import { ARGO } from '../../../integrations/argo/argoClient.ts';
import type { LogEntry } from '../../../integrations/argo/types.ts';
import { defineCommand } from '../deps.ts';
import { findRun, requireControl, runRef } from '../runAccess.ts';
import { goneNote, logsMessage, plainMessage } from '../views/runs.ts';
import { runLinks } from '../watcher.ts';

/** `backfill-x7k2p-load-2026-11-01-2710934` → `load-2026-11-01`: the step a pod ran. */
export function stepOfPod(podName: string | undefined, workflow: string): string {
  if (!podName) return '?';
  const rest = podName.startsWith(`${workflow}-`) ? podName.slice(workflow.length + 1) : podName;
  return rest.replace(/-\d+$/, '') || rest;
}

/** Log lines grouped under the step that printed them, newest last. */
export function formatLogLines(lines: readonly LogEntry[], workflow: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of lines) {
    const step = stepOfPod(line.podName, workflow);
    if (step !== current) {
      out.push(`── ${step} ──`);
      current = step;
    }
    // The client keeps only entries with text; the API's type leaves `content` optional.
    out.push(line.content ?? '');
  }
  return out;
}

export const taskLogs = defineCommand({
  name: 'task logs',
  summary: "Show the last lines of a task run's logs (main container) and a link to Argo",
  usage: 'task logs <run> [lines=<n>]',
  examples: ['task logs 1', 'task logs 1 lines=100'],
  params: { positionals: ['run'], keyValues: ['lines'] },
  args: z.object({
    run: runRef,
    lines: z.coerce
      .number()
      .pipe(integer({ min: 1, max: 200 }))
      .optional(),
  }),
  run: async (a, ctx) => {
    const run = await findRun(ctx, a.run);
    requireControl(ctx, run, 'read its logs');
    if (!run.workflowName)
      throw new ConflictError(`${run.task} #${run.id} was never submitted, so it has no logs`);
    const { argo } = ctx.deps;
    if (!argo) throw new UpstreamError(ARGO, 'not configured: set argo.url (and ARGO_TOKEN)');
    const wanted = a.lines ?? ctx.deps.config.argo.logLines;
    const logs = await argo
      .logs(run.namespace, run.workflowName, { container: 'main', tailLines: wanted })
      .catch((error: unknown) => {
        // A 404 is Argo saying the workflow is gone, not failing: what dpbot recorded is all there is.
        if (error instanceof UpstreamError && error.status === 404) throw new NotFoundError(goneNote(run));
        throw error;
      });
    const url = runLinks(ctx.deps, run).argo;
    const title = `Logs of ${run.task} #${run.id} (${run.workflowName}, main container, last ${logs.lines.length} line(s))`;
    if (logs.lines.length === 0) {
      return plainMessage(`${title}: no lines yet — the workflow may not have started a step.`);
    }
    return logsMessage({
      title,
      lines: formatLogLines(logs.lines, run.workflowName),
      truncated: logs.truncated,
      argoUrl: url,
      workflow: run.workflowName,
      namespace: run.namespace,
    });
  },
});
