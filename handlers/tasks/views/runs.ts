import { Blocks, type ButtonBuilder, Elements, Md } from 'slack-block-builder';
import { durationWords } from '../../../core/durationWords.ts';
import { clipText } from '../../../core/text.ts';
import { formatTime } from '../../../core/time.ts';
import { FAILED_PHASES, FINISHED_PHASES } from '../../../integrations/argo/phases.ts';
import type { Message } from '../../../pipeline/message.ts';
import { blocks } from '../../../pipeline/message.ts';
import { mentionOf, personToken, withMentions } from '../../../pipeline/people.ts';
import {
  codeText,
  escapeMrkdwn,
  lineSections,
  RUN_ACTION,
  SECTION_TEXT_LIMIT,
} from '../../../pipeline/views/common.ts';
import type { TaskRun } from '../stores/taskRunStore.ts';
import type { StepSummary } from '../workflowSummary.ts';

/** `2h 5m`, `6m 3s`, `45s`: the lower unit even at zero (`2h 0m`), so a running clock keeps its shape. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return durationWords({ seconds: s }, 'seconds');
  const m = Math.floor(s / 60);
  if (m < 60) return durationWords({ minutes: m, seconds: s % 60 }, 'seconds');
  const h = Math.floor(m / 60);
  if (h < 48) return durationWords({ hours: h, minutes: m % 60 }, 'minutes');
  return durationWords({ days: Math.floor(h / 24), hours: h % 24 }, 'hours');
}

const clip = clipText;

/** `dataset=orders, from=2026-11-01` — long values cut, for messages (the run keeps them whole). */
export function formatParams(params: Readonly<Record<string, string>>, maxValue = 80): string {
  const pairs = Object.entries(params).map(([k, v]) => `${k}=${clip(v, maxValue)}`);
  return pairs.length ? clip(pairs.join(', '), 1500) : 'no parameters';
}

export function isDone(run: Pick<TaskRun, 'phase'>): boolean {
  return FINISHED_PHASES.has(run.phase);
}

/** The run's state in a few words: `running 3/9 for 4m 12s`, `failed at load after 2m 3s`. */
export function runState(run: TaskRun, now: Date): { icon: string; text: string } {
  const started = run.startedAt ?? run.createdAt;
  const took = humanDuration((run.finishedAt ?? now).getTime() - started.getTime());
  if (run.cancelledBy && FAILED_PHASES.has(run.phase))
    return {
      icon: '⏹',
      text: `${run.cancelMode === 'terminate' ? 'terminated' : 'stopped'} by ${run.cancelledBy} after ${took}`,
    };
  switch (run.phase) {
    case 'Submitting':
      return { icon: '⏳', text: 'being submitted' };
    case 'SubmitFailed':
      return { icon: '❌', text: 'could not be submitted' };
    case 'Pending':
      return run.closedAt
        ? { icon: '⚠', text: 'no longer watched' }
        : { icon: '⏳', text: 'waiting to start' };
    case 'Running':
      if (run.closedAt)
        return { icon: '⚠', text: `no longer watched (was running ${run.progress ?? ''})`.trim() };
      return { icon: '▶', text: `running${run.progress ? ` ${run.progress}` : ''} for ${took}` };
    case 'Succeeded':
      return { icon: '✅', text: `succeeded in ${took}${run.progress ? ` (${run.progress})` : ''}` };
    case 'Failed':
      return { icon: '❌', text: `failed${run.failedStep ? ` at ${run.failedStep}` : ''} after ${took}` };
    case 'Error':
      return { icon: '❌', text: `ended in error after ${took}` };
    default:
      return { icon: '⚠', text: run.phase };
  }
}

export interface RunLinks {
  argo?: string | undefined;
  jira?: string | undefined;
}

function linkLine(run: TaskRun, links: RunLinks): string {
  const parts: string[] = [];
  if (run.workflowName) {
    parts.push(
      links.argo
        ? `<${links.argo}|Argo: ${escapeMrkdwn(run.workflowName)}>`
        : `workflow ${escapeMrkdwn(run.workflowName)} in ${escapeMrkdwn(run.namespace)}`,
    );
  }
  if (run.jiraKey) parts.push(links.jira ? `<${links.jira}|${run.jiraKey}>` : `Jira ${run.jiraKey}`);
  return parts.join(' · ');
}

/**
 * The run's announcement: one message the channel sees, updated in place as the workflow moves,
 * ending with the outcome and links.
 */
export function runMessage(
  run: TaskRun,
  options: { now: Date; links: RunLinks; running?: readonly string[]; visibility?: Message['visibility'] },
): Message {
  const state = runState(run, options.now);
  const requester = mentionOf({ email: run.requesterEmail, slackUserId: run.requesterSlackId });
  const title = `${state.icon} ${Md.bold(run.task)} #${run.id} — ${escapeMrkdwn(state.text)}`;
  const lines = [title, `Requested by ${requester} · ${escapeMrkdwn(formatParams(run.params))}`];
  if (!isDone(run) && !run.closedAt && options.running?.length)
    lines.push(`Now: ${escapeMrkdwn(clip(options.running.join(', '), 300))}`);
  if (run.failedStep)
    lines.push(
      `Failing step: ${Md.bold(escapeMrkdwn(run.failedStep))}${run.message ? ` — ${escapeMrkdwn(clip(run.message, 1000))}` : ''}`,
    );
  else if (run.message && (run.phase === 'SubmitFailed' || run.phase === 'Error' || run.closedAt))
    lines.push(escapeMrkdwn(clip(run.message, 1000)));
  const links = linkLine(run, options.links);
  const plain = [
    escapeMrkdwn(`${state.icon} ${run.task} #${run.id} — ${state.text}`),
    `Requested by ${requester} · ${escapeMrkdwn(formatParams(run.params))}`,
    ...(run.failedStep
      ? [escapeMrkdwn(`Failing step: ${run.failedStep}${run.message ? ` — ${run.message}` : ''}`)]
      : []),
  ].join('\n');
  return {
    // Slack reads the fallback text as mrkdwn too (notifications): values must not become
    // mentions, so only the requester is one.
    text: plain,
    visibility: options.visibility ?? 'in_channel',
    blocks: blocks(
      Blocks.Section({ text: lines.join('\n') }),
      links !== '' && Blocks.Context().elements(links),
    ),
  };
}

const STEP_ICON: Record<string, string> = {
  Succeeded: '✓',
  Failed: '✗',
  Error: '✗',
  Running: '▶',
  Pending: '…',
  Skipped: '↷',
  Omitted: '↷',
};

/**
 * What to say of a run whose workflow Argo answered 404 for: it is gone (deleted, or removed by
 * its TTL strategy), so dpbot's record is all there is.
 */
export function goneNote(run: TaskRun): string {
  return `Argo no longer has workflow ${run.workflowName ?? '?'} (deleted or removed by its TTL); dpbot recorded: started by ${run.requesterEmail}, at ${formatTime(run.startedAt ?? run.createdAt)}, last seen phase ${run.phase}${run.progress ? ` (${run.progress})` : ''}.`;
}

/** `task status`: the run, its steps, and buttons for logs and (to those who may) cancel. */
export function statusMessage(
  run: TaskRun,
  options: {
    now: Date;
    links: RunLinks;
    steps: readonly StepSummary[];
    running: readonly string[];
    mayCancel: boolean;
    note?: string | undefined;
    /**
     * What Argo's answer leaves to offer: `gone` (404) — no Logs, Stop or Argo link, which could
     * not work; `unanswered` — the usual buttons and one to ask again.
     */
    argo?: 'gone' | 'unanswered' | undefined;
  },
): Message {
  const gone = options.argo === 'gone';
  const head = runMessage(run, {
    now: options.now,
    links: gone ? { jira: options.links.jira } : options.links,
    running: options.running,
    visibility: 'ephemeral',
  });
  const stepLines = options.steps.slice(-25).map((s) => {
    const took = s.startedAt
      ? ` ${humanDuration((s.finishedAt ?? options.now).getTime() - s.startedAt.getTime())}`
      : '';
    const why = s.message && FAILED_PHASES.has(s.phase) ? ` — ${clip(s.message, 200)}` : '';
    return `${STEP_ICON[s.phase] ?? '?'} ${s.name} ${s.phase.toLowerCase()}${took}${why}`;
  });
  if (options.steps.length > 25) stepLines.unshift(`(${options.steps.length - 25} earlier steps not shown)`);
  const buttons: ButtonBuilder[] = [];
  if (options.argo === 'unanswered')
    buttons.push(
      Elements.Button({ text: 'Ask Argo again', actionId: RUN_ACTION, value: `task status ${run.id}` }),
    );
  if (run.workflowName && !gone)
    buttons.push(Elements.Button({ text: 'Logs', actionId: RUN_ACTION, value: `task logs ${run.id}` }));
  if (run.workflowName && !gone && !isDone(run) && !run.closedAt && options.mayCancel)
    buttons.push(Elements.Button({ text: 'Stop', actionId: RUN_ACTION, value: `task cancel ${run.id}` }));
  return {
    text: [head.text, ...(options.note ? [options.note] : []), ...stepLines].join('\n'),
    visibility: 'ephemeral',
    blocks: [
      ...(head.blocks ?? []),
      ...blocks(
        options.note !== undefined && Blocks.Context().elements(escapeMrkdwn(options.note)),
        ...lineSections(
          stepLines.map((l) => escapeMrkdwn(l)),
          3,
        ),
        buttons.length > 0 && Blocks.Actions().elements(...buttons),
      ),
    ],
  };
}

/** One line per run for `task runs`; its requester is a pipeline/people.ts personToken. */
export function runLine(run: TaskRun, now: Date): string {
  const state = runState(run, now);
  return `#${run.id} ${run.task} · ${state.icon} ${state.text} · ${personToken({ email: run.requesterEmail, slackUserId: run.requesterSlackId })} · ${formatTime(run.createdAt)} · ${formatParams(run.params, 40)}${run.jiraKey ? ` · ${run.jiraKey}` : ''}`;
}

/** A notice of one paragraph, escaped. */
export function plainMessage(text: string): Message {
  return { text, blocks: blocks(Blocks.Section({ text: escapeMrkdwn(text) })) };
}

/** The requester's reply once a run is submitted: where its progress goes, and its buttons. */
export function startedMessage(run: TaskRun, warnings: readonly string[]): Message {
  const where = run.messageChannel
    ? 'Progress is posted in the channel.'
    : `"task status ${run.id}" shows its progress.`;
  const text = `Started ${run.task} #${run.id} (workflow ${run.workflowName ?? '?'} in ${run.namespace}). ${where}`;
  const buttons: ButtonBuilder[] = [
    Elements.Button({ text: 'Status', actionId: RUN_ACTION, value: `task status ${run.id}` }),
    Elements.Button({ text: 'Logs', actionId: RUN_ACTION, value: `task logs ${run.id}` }),
    // The requester may always stop their run (task cancel checks again).
    Elements.Button({ text: 'Stop', actionId: RUN_ACTION, value: `task cancel ${run.id}` }),
  ];
  return {
    text: [text, ...warnings].join('\n'),
    visibility: 'ephemeral',
    blocks: blocks(
      Blocks.Section({ text: escapeMrkdwn(text) }),
      warnings.length > 0 && Blocks.Context().elements(...warnings.map((w) => `⚠ ${escapeMrkdwn(w)}`)),
      Blocks.Actions().elements(...buttons),
    ),
  };
}

/** `task runs`: a line per run, newest first. */
export function runListMessage(filters: string, runs: readonly TaskRun[], now: Date): Message {
  if (runs.length === 0) return plainMessage(`No task runs${filters ? ` (${filters})` : ''} yet.`);
  const title = `Task runs${filters ? ` (${filters})` : ''}: ${runs.length} most recent`;
  const lines = runs.map((r) => runLine(r, now));
  return {
    // Escaped whole: with the requesters' mentions in it, Slack reads the fallback as mrkdwn.
    text: withMentions(escapeMrkdwn([title, ...lines].join('\n'))),
    blocks: blocks(
      Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
      ...lineSections(lines.map((l) => withMentions(escapeMrkdwn(l)))),
      Blocks.Context().elements(`${codeText('task status <n>')} for one run`),
    ),
  };
}

/**
 * `task logs`: the newest lines that fit one section, and where the rest are. `lines` are grouped
 * by step already; `truncated` says Argo kept back older ones.
 */
export function logsMessage(input: {
  title: string;
  lines: readonly string[];
  truncated: boolean;
  argoUrl: string | undefined;
  workflow: string;
  namespace: string;
}): Message {
  const { title, lines: shown, argoUrl: url } = input;
  // Keep the newest lines that fit one section; older ones are a click away in Argo.
  let body = '';
  for (let i = shown.length - 1; i >= 0; i--) {
    const line = (shown[i] ?? '').replaceAll('```', "'''");
    if (body.length + line.length + 1 > SECTION_TEXT_LIMIT - 20) break;
    body = body ? `${line}\n${body}` : line;
  }
  const more = input.truncated || body.split('\n').length < shown.length;
  return {
    text: `${title}\n${shown.join('\n')}`,
    blocks: blocks(
      Blocks.Section({ text: Md.bold(escapeMrkdwn(title)) }),
      Blocks.Section({ text: `\`\`\`${escapeMrkdwn(body)}\`\`\`` }),
      Blocks.Context().elements(
        `${more ? 'Earlier lines: ' : ''}${url ? `<${url}|open the workflow in Argo>` : `workflow ${escapeMrkdwn(input.workflow)} in ${escapeMrkdwn(input.namespace)}`}`,
      ),
    ),
  };
}
