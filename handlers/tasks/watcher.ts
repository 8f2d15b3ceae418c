import { formatDuration } from '../../core/config/duration.ts';
import { UpstreamError } from '../../core/errors.ts';
import type { ArgoClient } from '../../integrations/argo/argoClient.ts';
import type { Workflow } from '../../integrations/argo/types.ts';
import { JiraRateLimitedError } from '../../integrations/jira/jiraClient.ts';
import type { JobRegistration } from '../../pipeline/housekeepingJobs.ts';
import { ONE_AT_A_TIME, type QueueSettings } from '../../pipeline/jobs.ts';
import type { Message } from '../../pipeline/message.ts';
import { auditRun, workAuditRetries } from './auditRun.ts';
import type { TasksDeps } from './deps.ts';
import { findSubmission } from './findSubmission.ts';
import { completionComment } from './jira.ts';
import { QUEUES } from './queues.ts';
import type { TaskRun, TaskRunPatch } from './stores/taskRunStore.ts';
import { goneNote, type RunLinks, runMessage, runState } from './views/runs.ts';
import { summarizeWorkflow, type WorkflowSummary } from './workflowSummary.ts';

/**
 * Watch jobs are short polls that queue their successor; `short` keeps one waiting job per run, so
 * a duplicate send (a retry, a re-arm after restart) cannot fork the chain.
 */
const WATCH_SETTINGS: QueueSettings = {
  policy: 'short',
  retryLimit: 5,
  retryDelaySeconds: 5,
  expireInSeconds: 120,
  // A look whose process died is retried elsewhere within a minute (see jobs.superviseInterval).
  heartbeatSeconds: 20,
};
const JIRA_SETTINGS: QueueSettings = {
  policy: 'short',
  retryLimit: 3,
  retryDelaySeconds: 30,
  expireInSeconds: 120,
};
/** Comment attempts before giving up on a Jira that keeps failing. */
const JIRA_ATTEMPTS = 6;

interface WatchJob {
  runId: number;
}
interface JiraJob {
  runId: number;
  attempt: number;
}

export function runLinks(services: TasksDeps, run: TaskRun): RunLinks {
  return {
    argo:
      run.workflowName && services.argo
        ? services.argo.workflowUrl(run.namespace, run.workflowName)
        : undefined,
    jira: run.jiraKey && services.jira ? services.jira.browseUrl(run.jiraKey) : undefined,
  };
}

/** Queues the next poll of a run's workflow. */
export async function scheduleWatch(services: TasksDeps, runId: number, delayMs: number): Promise<void> {
  await services.jobs.send<WatchJob>(
    QUEUES.watch,
    { runId },
    { startAfter: new Date(Date.now() + delayMs), singletonKey: `run-${runId}`, settings: WATCH_SETTINGS },
  );
}

async function scheduleComment(
  services: TasksDeps,
  runId: number,
  attempt: number,
  delayMs: number,
): Promise<void> {
  await services.jobs.send<JiraJob>(
    QUEUES.jira,
    { runId, attempt },
    { startAfter: new Date(Date.now() + delayMs), singletonKey: `run-${runId}`, settings: JIRA_SETTINGS },
  );
}

async function safely(
  services: TasksDeps,
  what: string,
  run: TaskRun,
  work: () => Promise<unknown>,
): Promise<void> {
  try {
    await work();
  } catch (error) {
    services.log.warn({ err: error, runId: run.id }, `could not ${what}`);
  }
}

/** Edits the run's announcement, or (when it has none) does nothing. */
async function showProgress(services: TasksDeps, run: TaskRun, message: Message): Promise<void> {
  if (!run.messageChannel || !run.messageTs) return;
  const ref = { channel: run.messageChannel, ts: run.messageTs };
  await safely(services, 'update the progress message', run, () => services.notifier.update(ref, message));
}

function patchFrom(summary: WorkflowSummary): TaskRunPatch {
  return {
    phase: summary.phase,
    progress: summary.progress,
    failedStep: summary.failed?.step ?? null,
    message: summary.failed?.message ?? summary.message,
    startedAt: summary.startedAt,
    finishedAt: summary.finishedAt,
  };
}

/** What the message shows besides elapsed time; unchanged keys mean no edit (coalescing). */
export function renderKey(run: TaskRun, running: readonly string[]): string {
  return JSON.stringify([run.phase, run.progress, running, run.failedStep, run.cancelledBy, run.jiraKey]);
}

/** The end of a run: said once, by whoever closed it. */
async function announceEnd(
  services: TasksDeps,
  closed: TaskRun,
  outcome: string,
  detail: Record<string, unknown>,
) {
  const now = services.now();
  const links = runLinks(services, closed);
  await showProgress(services, closed, runMessage(closed, { now, links }));
  const state = runState(closed, now);
  const who = closed.requesterSlackId ? `<@${closed.requesterSlackId}>` : closed.requesterEmail;
  const summary = `${state.icon} ${closed.task} #${closed.id} ${state.text}`;
  const note: Message = {
    text: `${who}: ${summary}`,
    visibility: 'in_channel',
  };
  if (closed.messageChannel && closed.messageTs) {
    await safely(services, 'reply in the run thread', closed, () =>
      services.notifier.post(closed.messageChannel ?? '', note, { threadTs: closed.messageTs ?? '' }),
    );
  } else {
    await safely(services, 'tell the requester', closed, () =>
      services.notifier.direct(
        { slackUserId: closed.requesterSlackId, email: closed.requesterEmail },
        runMessage(closed, { now, links, visibility: 'ephemeral' }),
      ),
    );
  }
  await auditRun(services, closed, outcome, detail);
  if (closed.jiraKey && services.jira) await scheduleComment(services, closed.id, 1, 0);
}

function outcomeOf(run: TaskRun): string {
  if (run.cancelledBy) return run.cancelMode === 'terminate' ? 'workflow_terminated' : 'workflow_stopped';
  return run.phase === 'Succeeded'
    ? 'workflow_succeeded'
    : run.phase === 'Failed'
      ? 'workflow_failed'
      : 'workflow_error';
}

/**
 * One poll of a run's workflow: record what Argo says, edit the announcement when something worth
 * showing changed, and queue the next poll — or, when the workflow has ended, announce the end
 * once (across replicas), audit it and queue the Jira comment.
 */
export async function watchTaskRun(services: TasksDeps, runId: number): Promise<void> {
  const run = await services.taskRuns.get(runId);
  if (!run || run.closedAt) return;
  const { argo } = services;
  const interval = services.config.argo.pollInterval;
  if (!argo) {
    services.log.warn({ runId }, 'argo.url is no longer set; the run is not watched');
    return;
  }
  if (!run.workflowName) {
    await settleSubmission(services, argo, run);
    return;
  }
  const now = services.now();
  if (now.getTime() - run.createdAt.getTime() > services.config.argo.watchFor) {
    const closed = await services.taskRuns.close(run.id, {
      message: `dpbot stopped watching after ${formatDuration(services.config.argo.watchFor)}; "task status ${run.id}" asks Argo`,
    });
    if (closed) await announceEnd(services, closed, 'watch_expired', { phase: run.phase });
    return;
  }
  let summary: WorkflowSummary;
  try {
    summary = summarizeWorkflow(await argo.get(run.namespace, run.workflowName));
  } catch (error) {
    if (error instanceof UpstreamError && error.status === 404) {
      // Gone (deleted, or removed by its TTL): the phase stays the one dpbot last saw, which is all
      // anyone can know of how it ended.
      const closed = await services.taskRuns.close(run.id, { message: goneNote(run) });
      if (closed)
        await announceEnd(services, closed, 'workflow_missing', { phase: run.phase, progress: run.progress });
      return;
    }
    if (!(error instanceof UpstreamError)) throw error;
    // Argo is down or slow: keep the message as it is and look again later, a little less often.
    services.log.warn({ err: error, runId }, 'could not read the workflow; trying again later');
    await scheduleWatch(services, run.id, Math.min(interval * 3, 60_000));
    return;
  }
  const patch = patchFrom(summary);
  if (summary.done) {
    const closed = await services.taskRuns.close(run.id, patch);
    if (closed)
      await announceEnd(services, closed, outcomeOf(closed), {
        phase: closed.phase,
        progress: closed.progress,
        failedStep: closed.failedStep,
        message: closed.message,
      });
    return;
  }
  const updated = (await services.taskRuns.update(run.id, patch)) ?? run;
  const key = renderKey(updated, summary.running);
  if (key !== run.renderedKey) {
    await showProgress(
      services,
      updated,
      runMessage(updated, { now, links: runLinks(services, updated), running: summary.running }),
    );
    await services.taskRuns.update(run.id, { renderedKey: key });
  }
  await scheduleWatch(services, run.id, interval);
}

/**
 * Time allowed, beyond argo.timeout, for a submission still under way in another process (its
 * audit row and the request itself) before the run counts as left mid-submission.
 */
const SUBMISSION_GRACE_MS = 30_000;

/**
 * A run recorded as submitting whose process never heard back (it stopped mid-submission): once
 * no answer can still come, ask Argo for the workflow by its labels; follow it when it exists,
 * close the run as never submitted when it does not.
 */

async function settleSubmission(services: TasksDeps, argo: ArgoClient, run: TaskRun): Promise<void> {
  const answerBy = run.createdAt.getTime() + services.config.argo.timeout + SUBMISSION_GRACE_MS;
  const wait = answerBy - services.now().getTime();
  if (wait > 0) {
    await scheduleWatch(services, run.id, wait);
    return;
  }
  let found: Workflow | undefined;
  try {
    found = await findSubmission(argo, run.namespace, run);
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    services.log.warn(
      { err: error, runId: run.id },
      'could not look for the workflow of a run; trying again later',
    );
    await scheduleWatch(services, run.id, Math.min(services.config.argo.pollInterval * 3, 60_000));
    return;
  }
  const name = found?.metadata.name;
  if (found && name) {
    const updated =
      (await services.taskRuns.update(run.id, {
        workflowName: name,
        ...patchFrom(summarizeWorkflow(found)),
      })) ?? run;
    await auditRun(services, updated, 'submit_found', {});
    await scheduleWatch(services, run.id, 0);
    return;
  }
  const closed = await services.taskRuns.close(run.id, {
    phase: 'SubmitFailed',
    message: `dpbot stopped before Argo Workflows answered the submission, and Argo has no workflow labelled dpbot/run=${run.id}: nothing ran; run the task again`,
  });
  if (closed) await announceEnd(services, closed, 'submit_lost', {});
}

/** Comments on the run's Jira issue with the outcome; retries Jira's 429s and outages a few times. */
export async function commentOnJira(services: TasksDeps, runId: number, attempt: number): Promise<void> {
  const run = await services.taskRuns.get(runId);
  const { jira } = services;
  if (!run?.jiraKey || run.jiraCommentedAt || !jira || !run.closedAt) return;
  const links = runLinks(services, run);
  try {
    const comment = await jira.addComment(
      run.jiraKey,
      completionComment(run, { argo: links.argo }, services.now()),
    );
    if (await services.taskRuns.markJiraCommented(run.id))
      await auditRun(services, run, 'jira_commented', { jiraKey: run.jiraKey, commentId: comment.id });
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    const transient =
      error instanceof JiraRateLimitedError || error.status === undefined || error.status >= 500;
    if (transient && attempt < JIRA_ATTEMPTS) {
      const wait = error instanceof JiraRateLimitedError ? error.retryAfterMs : 30_000 * attempt;
      services.log.warn({ err: error, runId, attempt }, 'Jira comment failed; trying again later');
      await scheduleComment(services, run.id, attempt + 1, wait);
      return;
    }
    await auditRun(
      services,
      run,
      'jira_comment_failed',
      { jiraKey: run.jiraKey, attempts: attempt },
      error.message,
    );
    if (run.messageChannel && run.messageTs)
      await safely(services, 'report the Jira failure', run, () =>
        services.notifier.post(
          run.messageChannel ?? '',
          {
            text: `Could not comment on ${run.jiraKey} about #${run.id}: ${error.message}`,
            visibility: 'in_channel',
          },
          { threadTs: run.messageTs ?? '' },
        ),
      );
  }
}

/**
 * How long a run may be without a watcher before the sweep gives it one: the command that created
 * it queues its first look once the submission is answered, which may take up to argo.timeout.
 */
const UNWATCHED_GRACE_MS = 60_000;

/**
 * Resumes open runs that have no watcher job (a process that died between recording the run and
 * queueing its first look, or a chain lost with the database): a look is queued now, audited
 * `watch_resumed`. Runs every minute, once across replicas; a run with a job waiting, due or
 * running is left alone.
 */
export async function sweepTaskRuns(services: TasksDeps): Promise<number[]> {
  const resumed: number[] = [];
  const before = services.now().getTime() - services.config.argo.timeout - UNWATCHED_GRACE_MS;
  for (const run of await services.taskRuns.open()) {
    if (run.createdAt.getTime() > before) continue;
    if ((await services.jobs.live(QUEUES.watch, { runId: run.id })) > 0) continue;
    await scheduleWatch(services, run.id, 0);
    await auditRun(services, run, 'watch_resumed', { reason: 'open run with no watcher job' });
    resumed.push(run.id);
  }
  if (resumed.length) services.log.warn({ runs: resumed }, 'task runs had no watcher; queued one');
  return resumed;
}

/**
 * The task capability's background work: the watcher, the Jira comments and late audit rows. On
 * start it re-arms a watcher for every run whose end has not been announced, in case its job was
 * lost (including runs whose submission was never answered).
 */
export const taskJobs: JobRegistration<TasksDeps> = async (services) => {
  await services.jobs.work<WatchJob>(
    QUEUES.watch,
    (data) => watchTaskRun(services, data.runId),
    WATCH_SETTINGS,
  );
  await services.jobs.work<JiraJob>(
    QUEUES.jira,
    (data) => commentOnJira(services, data.runId, data.attempt),
    JIRA_SETTINGS,
  );
  await workAuditRetries(services);
  await services.jobs.work(
    QUEUES.sweep,
    async () => {
      await sweepTaskRuns(services);
    },
    ONE_AT_A_TIME,
  );
  await services.jobs.schedule(QUEUES.sweep, '* * * * *');
  const open = await services.taskRuns.open();
  for (const run of open) await scheduleWatch(services, run.id, 0);
  if (open.length) services.log.info({ runs: open.length }, 'watching task runs left open');
};
