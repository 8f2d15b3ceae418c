import type { DirectoryDeps } from './deps.ts';
import type { AccessHold } from './stores/holdStore.ts';
import { holdDecidedMessage, holdRequestMessage } from './views.ts';

export interface HeldChange {
  /** A directory source's name, or "policies". */
  target: string;
  title: string;
  digest: string;
  requestedBy: string | null;
  trigger: string;
  problems: readonly string[];
  headline: string;
  lines: readonly string[];
  counts: Record<string, number>;
}

export const POLICIES_TARGET = 'policies';

/** "Directory sync of google" or "Policy reload": how a held change is named to people. */
export function holdTitle(target: string): string {
  return target === POLICIES_TARGET ? 'Policy reload' : `Directory sync of ${target}`;
}

/**
 * Holds a change for an admin's approval and asks in the admin channel, once per exact change:
 * the same change held again (the next schedule tick) finds its request (or its denial) and asks
 * nobody. A request for an older change of the same target is marked superseded.
 */
export async function holdForApproval(
  deps: Pick<DirectoryDeps, 'holds' | 'notifier' | 'config' | 'log'>,
  change: HeldChange,
): Promise<{ hold: AccessHold; created: boolean }> {
  const { hold, created, superseded } = await deps.holds.hold({
    target: change.target,
    digest: change.digest,
    requestedBy: change.requestedBy,
    trigger: change.trigger,
    summary: { ...change.counts, problems: change.problems, headline: change.headline },
  });
  if (superseded?.messageChannel && superseded.messageTs)
    await updateQuietly(deps, superseded, 'superseded by a newer request below; nothing was changed');
  if (!created) return { hold, created };
  const channel = deps.config.slack.channels.admin;
  if (!channel) {
    deps.log.warn(
      { target: change.target, holdId: hold.id },
      'access change held for approval; slack.channels.admin is not set, so approve it with `access approve`',
    );
    return { hold, created };
  }
  try {
    const ref = await deps.notifier.post(
      channel,
      holdRequestMessage({
        title: change.title,
        target: change.target,
        holdId: hold.id,
        problems: change.problems,
        headline: change.headline,
        lines: change.lines,
        requestedBy: change.requestedBy,
        twoPerson: deps.config.access.removalGuard.twoPerson,
      }),
    );
    await deps.holds.setMessage(hold.id, ref);
  } catch (error) {
    deps.log.error({ err: error, channel, holdId: hold.id }, 'could not post the approval request');
  }
  return { hold, created };
}

/** Replaces the request's buttons with the decision, so nobody clicks an answered question. */
export async function updateQuietly(
  deps: Pick<DirectoryDeps, 'notifier' | 'log'>,
  hold: AccessHold,
  decision: string,
): Promise<void> {
  if (!hold.messageChannel || !hold.messageTs) return;
  try {
    await deps.notifier.update(
      { channel: hold.messageChannel, ts: hold.messageTs },
      holdDecidedMessage({ title: holdTitle(hold.target), decision }),
    );
  } catch (error) {
    deps.log.warn({ err: error, holdId: hold.id }, 'could not update the approval request');
  }
}

/** After a change of the target applied without its waiting requests, those are closed. */
export async function closeWaiting(
  deps: Pick<DirectoryDeps, 'holds' | 'notifier' | 'log'>,
  target: string,
  why: string,
): Promise<void> {
  for (const hold of await deps.holds.supersedePending(target)) await updateQuietly(deps, hold, why);
}
