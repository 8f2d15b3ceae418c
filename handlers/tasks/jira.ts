import { clipText } from '../../core/text.ts';
import {
  type AdfDocument,
  type AdfText,
  bulletList,
  code,
  doc,
  link,
  paragraph,
  strong,
  text,
} from '../../integrations/jira/adf.ts';
import type { TaskRun } from './stores/taskRunStore.ts';
import { formatParams, runState } from './views/runs.ts';

/** `DP-123`: a project key, a dash, a number. */
export const JIRA_KEY = /^[A-Z][A-Z0-9_]{0,9}-[1-9]\d{0,8}$/;

export interface JiraLinks {
  argo?: string | undefined;
}

function details(run: TaskRun, links: JiraLinks): AdfText[][] {
  const items: AdfText[][] = [
    [text('Requested by '), text(run.requesterEmail), text(' via dpbot')],
    [text('Task: '), code(run.task), text(` (${run.templateKind} ${run.templateName} in ${run.namespace})`)],
  ];
  const params = Object.entries(run.params);
  if (params.length === 0) items.push([text('Parameters: none')]);
  for (const [k, v] of params) items.push([text(`${k} = `), code(v === '' ? '""' : v)]);
  if (run.workflowName)
    items.push(
      links.argo
        ? [text('Workflow: '), link(run.workflowName, links.argo)]
        : [text('Workflow: '), code(run.workflowName)],
    );
  return items;
}

/** The ticket opened for a run when its task says so. */
export function ticketFields(run: TaskRun, links: JiraLinks): { summary: string; description: AdfDocument } {
  const summary = `dpbot: ${run.task} #${run.id} — ${formatParams(run.params, 40)}`;
  return {
    summary: clipText(summary, 250),
    description: doc(
      paragraph(text(`Run #${run.id} of the ops task `), strong(run.task), text(', started from Slack.')),
      bulletList(details(run, links)),
      paragraph(text('dpbot comments here when the run ends.')),
    ),
  };
}

/** The comment posted when a run ends: outcome, parameters, links. Values are text nodes, never markup. */
export function completionComment(run: TaskRun, links: JiraLinks, now: Date): AdfDocument {
  const state = runState(run, now);
  const items = details(run, links);
  if (run.failedStep)
    items.push([text('Failing step: '), code(run.failedStep), text(run.message ? ` — ${run.message}` : '')]);
  else if (run.message && run.phase !== 'Succeeded') items.push([text(`Message: ${run.message}`)]);
  return doc(paragraph(strong(`${state.icon} ${run.task} #${run.id} ${state.text}`)), bulletList(items));
}
