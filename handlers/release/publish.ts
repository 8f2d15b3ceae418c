import { errorMessage, NotFoundError } from '../../core/errors.ts';
import type { Tx } from '../../db/connect.ts';
import type { QueueSettings } from '../../pipeline/jobs.ts';
import type { Message } from '../../pipeline/message.ts';
import type { MessageRef } from '../../pipeline/notifier.ts';
import type { ReleaseDeps } from './deps.ts';
import { releaseFreezes } from './freezeCheck.ts';
import { releaseNames } from './people.ts';
import { QUEUES } from './queues.ts';
import type { ReleaseSnapshot } from './stores/releaseStore.ts';
import { releaseMessage, serviceThreadMessage } from './views/release.ts';

/**
 * Watcher jobs: each run is one short look. Its process marks it alive (heartbeat); one that died
 * mid-look is retried by another replica at the next supervision pass, well within a minute.
 */
export const WATCH_SETTINGS: QueueSettings = {
  retryLimit: 5,
  retryDelaySeconds: 2,
  expireInSeconds: 600,
  heartbeatSeconds: 20,
};

/** Queues the next look of a release's ship watcher (in `tx` when given). */
export function sendWatch(
  services: ReleaseDeps,
  releaseId: number,
  options: { tx?: Tx; startAfter?: Date } = {},
): Promise<string | null> {
  return services.jobs.send(QUEUES.watch, { releaseId }, { ...options, settings: WATCH_SETTINGS });
}

export async function loadSnapshot(services: ReleaseDeps, id: number): Promise<ReleaseSnapshot> {
  const snapshot = await services.releases.snapshot(id);
  if (!snapshot)
    throw new NotFoundError(
      `release #${id} is no longer in the database (deleted while dpbot worked on it?); "release history" lists the releases there are`,
    );
  return snapshot;
}

/**
 * Posts the release message and one message per service (its thread is the service's) the first time, and updates them
 * in place afterwards. Slack being unreachable must not undo a release step that already
 * happened, so failures are logged and the next publish tries again.
 */
/** Updates the open release's message after a freeze was set or lifted, so it shows the freezes in force. */
export async function showFreezes(services: ReleaseDeps): Promise<void> {
  const active = await services.releases.active();
  if (active?.status === 'open') await publish(services, active.id);
}

export async function publish(
  services: ReleaseDeps,
  id: number,
  only?: readonly string[],
): Promise<ReleaseSnapshot> {
  return publishSnapshot(services, await loadSnapshot(services, id), only);
}

/** Publishes a snapshot already in hand (see publish); returns it with the message references it got. */
export async function publishSnapshot(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
  only?: readonly string[],
): Promise<ReleaseSnapshot> {
  const { release } = snapshot;
  const config = services.config;
  try {
    const names = await releaseNames(services, snapshot);
    const freezes = await releaseFreezes(services, snapshot);
    if (!release.messageTs) {
      const ref = await services.notifier.post(
        release.channel,
        releaseMessage(snapshot, config, names, freezes),
      );
      // The channel as Slack answered: its ID, which chat.update needs (the configuration may
      // name it, `#releases`).
      const posted = await services.releases.update(release.id, { messageTs: ref.ts, channel: ref.channel });
      const rows: ReleaseSnapshot['services'] = [];
      for (const row of snapshot.services) {
        // Each service gets a message of its own, whose thread holds its conversation.
        const thread = await services.notifier.post(
          ref.channel,
          serviceThreadMessage(snapshot, row.service, config, names),
        );
        await services.releases.updateService(release.id, row.service, { threadTs: thread.ts });
        rows.push({ ...row, threadTs: thread.ts });
      }
      return { ...snapshot, release: posted, services: rows };
    }
    // Updates are handed to the notifier without waiting for them: it sends them in its own
    // time — coalesced, skipped when a message already reads so, within Slack's limits — and a
    // watcher look or a decision must not wait for Slack's allowance. Where a message turns out
    // to be now (the channel's ID for a release stored with its name; a message posted anew
    // because the old one was deleted) is stored once known.
    const update = (ts: string, message: Message, moved: (ref: MessageRef) => Promise<unknown>) =>
      void services.notifier
        .update({ channel: release.channel, ts }, message)
        .then((ref) => (ref.channel !== release.channel || ref.ts !== ts ? moved(ref) : undefined))
        .catch((error: unknown) =>
          services.log.warn({ err: error, release: release.id }, 'could not update a release message'),
        );
    update(release.messageTs, releaseMessage(snapshot, config, names, freezes), (ref) =>
      services.releases.update(release.id, { channel: ref.channel, messageTs: ref.ts }),
    );
    for (const row of snapshot.services) {
      if (only && !only.includes(row.service)) continue;
      if (row.threadTs)
        update(row.threadTs, serviceThreadMessage(snapshot, row.service, config, names), async (ref) => {
          if (ref.ts !== row.threadTs)
            await services.releases.updateService(release.id, row.service, { threadTs: ref.ts });
        });
    }
  } catch (error) {
    services.log.warn(
      { err: error, release: release.id },
      `could not update the release message: ${errorMessage(error)}`,
    );
  }
  return snapshot;
}

/** A reply in a service's thread (or the release message's thread, or the channel). */
export async function postInThread(
  services: ReleaseDeps,
  snapshot: ReleaseSnapshot,
  service: string | null,
  message: Message,
): Promise<void> {
  const row = service ? snapshot.services.find((s) => s.service === service) : undefined;
  const threadTs = row?.threadTs ?? snapshot.release.messageTs ?? undefined;
  try {
    await services.notifier.post(snapshot.release.channel, message, threadTs ? { threadTs } : {});
  } catch (error) {
    services.log.warn({ err: error, release: snapshot.release.id }, 'could not post in the release thread');
  }
}
