import { DpbotError, errorMessage, UpstreamError } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import type { Message } from '../../../pipeline/message.ts';
import type { ReleaseDeps } from '../deps.ts';
import type { NoticeBatch, ReleaseNotice } from '../stores/noticeStore.ts';
import type { ReleaseSnapshot } from '../stores/releaseStore.ts';
import { versionName } from '../tracker.ts';
import {
  authorNoticeMessage,
  type NoticeFacts,
  subscriberRollbackMessage,
} from '../views/productionNotices.ts';
import { engineeringNotes } from '../views/release.ts';
import { noticeEvent } from './queue.ts';
import { githubComment, jiraComment, messageUrl, noticeMarker } from './texts.ts';

/** Tries of one notice before its row says it failed (the job's own retries space them out). */
const MAX_ATTEMPTS = 5;
/**
 * A row `sending` for longer than this was left by a worker that died (one send is one request,
 * however long the rate limits make it wait); a younger one is another worker's, left to it.
 */
const STALE_CLAIM_MS = 120_000;

interface Outcome {
  state: 'sent' | 'skipped';
  detail: string;
}

/**
 * A refusal that asking again will not change: the issue or person does not exist, the token may
 * not, the body is invalid. A rate limit, a timeout or a server error is worth another try.
 */
function permanent(error: unknown): boolean {
  if (error instanceof UpstreamError) {
    if (error.status !== undefined)
      return error.status >= 400 && error.status < 500 && error.status !== 408 && error.status !== 429;
    // The Slack notifier's own refusals (no account for the e-mail, no channel opened) carry no status.
    return error.system === 'Slack';
  }
  if ((error as { code?: unknown })?.code === 'slack_webapi_platform_error') return true;
  return error instanceof DpbotError;
}

/** Once a send was cut short, Jira and Slack cannot be asked whether it arrived: not sent twice. */
const CUT_SHORT: Outcome = {
  state: 'skipped',
  detail: 'a worker stopped while sending it; not sent again, so that nobody gets it twice',
};

async function personOf(
  services: ReleaseDeps,
  login: string,
): Promise<{ email: string; slackUserId: string | null } | undefined> {
  const mapped = Object.entries(services.config.release.notices.authors).find(
    ([l]) => l.toLowerCase() === login.toLowerCase(),
  )?.[1];
  const email = mapped ?? (await services.notices.userByLogin(login))?.email;
  if (!email) return undefined;
  const user = await services.access.findUser({ email });
  if (user?.active === false) return undefined;
  return { email: email.toLowerCase(), slackUserId: user?.slackUserId ?? null };
}

async function deliver(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
  facts: NoticeFacts,
  notice: ReleaseNotice,
  interrupted: boolean,
): Promise<Outcome> {
  const [type = '', ...rest] = notice.target.split(':');
  const value = rest.join(':');
  const direct = async (to: { email: string; slackUserId: string | null }, message: Message) => {
    if (interrupted) return CUT_SHORT;
    await services.notifier.direct(to, message);
    return { state: 'sent' as const, detail: to.email };
  };
  switch (type) {
    case 'github': {
      const [, repository = '', number = ''] = /^(.+)#(\d+)$/.exec(value) ?? [];
      // GitHub can be asked: a comment with the marker means the cut-short send arrived.
      if (interrupted) {
        const found = await services.github.findIssueComment(repository, Number(number), noticeMarker(facts));
        if (found) return { state: 'sent', detail: found.url };
      }
      const posted = await services.github.commentOnIssue(repository, Number(number), githubComment(facts));
      return { state: 'sent', detail: posted.url };
    }
    case 'jira': {
      if (!services.jira) return { state: 'skipped', detail: 'Jira is not configured' };
      if (interrupted) return CUT_SHORT;
      const version = services.releaseTracker ? versionName(snapshot, services) : undefined;
      const comment = await services.jira.addComment(value, jiraComment(facts, version));
      return { state: 'sent', detail: `comment ${comment.id}` };
    }
    case 'author': {
      const person = await personOf(services, value);
      if (!person)
        return {
          state: 'skipped',
          detail: `no active directory user for GitHub login ${value} (a github directory source, or release.notices.authors, maps logins)`,
        };
      if (!(await services.notices.directMessagesOn(person.email)))
        return { state: 'skipped', detail: `${person.email} turned notices off` };
      const prs = snapshot.prs.filter((p) => p.author === value && p.services.includes(facts.service));
      return direct(person, authorNoticeMessage(facts, prs));
    }
    case 'subscriber': {
      const user = await services.access.findUser({ email: value });
      if (user?.active === false) return { state: 'skipped', detail: `${value} is no longer active` };
      const message =
        facts.kind === 'running'
          ? engineeringNotes(snapshot, services.config, [facts.service])
          : subscriberRollbackMessage(facts);
      return direct({ email: value, slackUserId: user?.slackUserId ?? null }, message);
    }
    default:
      return { state: 'skipped', detail: `unknown target ${notice.target}` };
  }
}

/**
 * Works one batch: each notice still to send is claimed (its row `sending`) before it is sent and
 * settled after, so a run after a crash knows which were under way. A failure worth retrying puts
 * the row back and fails the job, which pg-boss retries with backoff; the rows already sent are
 * not sent again. Returns what this run did.
 */
export async function sendNotices(
  services: ReleaseDeps,
  batch: NoticeBatch,
): Promise<{ sent: number; skipped: number; failed: number; retrying: number }> {
  const counts = { sent: 0, skipped: 0, failed: 0, retrying: 0 };
  const open = (await services.notices.list(batch)).filter(
    (n) => n.state === 'queued' || n.state === 'sending',
  );
  if (!open.length) return counts;
  const snapshot = await services.releases.snapshot(batch.releaseId);
  if (!snapshot) return counts;
  const since = open.reduce(
    (a, n) => (n.createdAt < a ? n.createdAt : a),
    open[0]?.createdAt ?? services.now(),
  );
  const facts: NoticeFacts = {
    kind: batch.kind,
    releaseId: batch.releaseId,
    service: batch.service,
    at: formatTime(since),
    releaseUrl: messageUrl(
      services.config.release.notices.slackUrl,
      snapshot.release.channel,
      snapshot.release.messageTs,
    ),
  };
  const failures: string[] = [];
  let busy = 0;
  for (const seen of open) {
    if (
      seen.state === 'sending' &&
      services.now().getTime() - (seen.claimedAt?.getTime() ?? 0) < STALE_CLAIM_MS
    ) {
      busy++;
      continue;
    }
    const claimed = await services.notices.claim(seen);
    if (!claimed) continue;
    try {
      const outcome = await deliver(services, snapshot, facts, claimed, seen.state === 'sending');
      await services.notices.settle(
        claimed.id,
        outcome.state,
        outcome.detail,
        outcome.state === 'sent' ? services.now() : undefined,
      );
      counts[outcome.state]++;
    } catch (error) {
      const giveUp = permanent(error) || claimed.attempts >= MAX_ATTEMPTS;
      await services.notices.settle(claimed.id, giveUp ? 'failed' : 'queued', errorMessage(error));
      failures.push(`${claimed.target}: ${errorMessage(error)}`);
      if (giveUp) counts.failed++;
      else counts.retrying++;
    }
  }
  if (counts.sent + counts.skipped + counts.failed + counts.retrying > 0)
    await services.audit.append(
      noticeEvent(batch, 'notices_sent', {
        ...(failures.length ? { error: failures.slice(0, 3).join('; ') } : {}),
        detail: { kind: batch.kind, ...counts },
      }),
    );
  if (counts.retrying > 0 || busy > 0)
    throw new Error(
      `${counts.retrying} notice(s) of ${batch.service} in release #${batch.releaseId} could not be sent yet${failures.length ? `: ${failures.slice(0, 3).join('; ')}` : ''}${busy ? `; ${busy} being sent by another worker (or one that stopped: taken over after ${STALE_CLAIM_MS / 1000} s)` : ''}`,
    );
  return counts;
}
