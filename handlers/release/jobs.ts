import type { JobRegistration } from '../../pipeline/housekeepingJobs.ts';
import { ONE_AT_A_TIME } from '../../pipeline/jobs.ts';
import { channelMention } from '../../pipeline/notifier.ts';
import { noticeMessage } from '../../pipeline/views/common.ts';
import type { ReleaseDeps } from './deps.ts';
import { NOTICE_SETTINGS, type NoticeJob, sweepNotices } from './notices/queue.ts';
import { sendNotices } from './notices/send.ts';
import { ownerPeople } from './people.ts';
import { postInThread, publish, sendWatch, WATCH_SETTINGS } from './publish.ts';
import { QUEUES } from './queues.ts';
import { autoSyncReminder, type RollbackJob, rollbackTick } from './rollback.ts';
import { announceShipped, SHIPPED_SETTINGS, shipTick } from './shipTick.ts';
import { trackerAtShip } from './tracker.ts';
import { ownerReminderMessage, weeklyReminderMessage } from './views/notices.ts';

const later = (services: ReleaseDeps, ms: number) => new Date(services.now().getTime() + ms);

/** Reminds owners who have not decided, in their thread and by direct message, until they do. */
async function remindOwners(services: ReleaseDeps, releaseId: number): Promise<void> {
  const snapshot = await services.releases.snapshot(releaseId);
  if (snapshot?.release.status !== 'open') return;
  const pending = snapshot.confirmations.filter((c) => c.decision === 'pending').map((c) => c.service);
  if (!pending.length) return;
  for (const service of pending) {
    const svc = services.config.release.services.find((s) => s.name === service);
    if (!svc) continue;
    const people = await ownerPeople(services, svc);
    const text = `Reminder: release #${releaseId} waits for your decision on ${service}: Include or Skip in its thread in ${channelMention(snapshot.release.channel)}, or "release include ${service}".`;
    for (const person of people) {
      try {
        await services.notifier.direct(person, { text });
      } catch (error) {
        services.log.warn({ err: error, to: person.email }, 'could not send a release reminder');
      }
    }
    await postInThread(services, snapshot, service, ownerReminderMessage(releaseId, service));
    await services.audit.append({
      requestId: `release-${releaseId}`,
      kind: 'event',
      entry: 'system',
      command: 'release start',
      action: 'release.confirm',
      resource: `service:${service}`,
      outcome: 'owners_reminded',
      detail: { people: people.map((p) => p.email) },
    });
  }
  await services.releases.markReminded(releaseId, pending);
  await services.jobs.send(
    QUEUES.remindOwners,
    { releaseId },
    { startAfter: later(services, services.config.release.reminderInterval) },
  );
}

/** Posts the weekly reminder with a Start button (the schedule fires once across replicas). */
async function weeklyReminder(services: ReleaseDeps): Promise<void> {
  const active = await services.releases.active();
  const channel = services.config.release.channel;
  await services.notifier.post(channel, weeklyReminderMessage(active));
  await services.audit.append({
    requestId: `release-weekly-${services.now().toISOString().slice(0, 10)}`,
    kind: 'event',
    entry: 'system',
    command: 'release start',
    action: 'release.start',
    resource: 'release:weekly',
    outcome: 'weekly_reminder_posted',
    detail: { channel, activeRelease: active?.id ?? null },
  });
}

/**
 * Resumes a shipping release that has no watcher job to carry it on (one lost with the database, or
 * queued by a version of dpbot that did not commit it with the state): its watcher is queued
 * again, audited `watch_resumed`. Runs every minute, once across replicas; a release whose
 * watcher is waiting, due or running is left alone, so it never gets two.
 */
export async function sweepShipping(services: ReleaseDeps): Promise<number[]> {
  const active = await services.releases.active();
  if (active?.status !== 'shipping') return [];
  if ((await services.jobs.live(QUEUES.watch, { releaseId: active.id })) > 0) return [];
  const event = (outcome: string, detail: object) =>
    services.audit.append({
      requestId: `release-${active.id}`,
      kind: 'event',
      entry: 'system',
      command: 'release ship',
      action: 'release.ship',
      resource: `release:${active.id}`,
      outcome,
      detail,
    });
  const snapshot = await services.releases.snapshot(active.id);
  if (!snapshot?.apps.length) {
    // Left "shipping" before its applications were written: nothing was asked of Argo CD, and a
    // watcher would call an empty ship shipped. It is stopped, so "release ship" starts it again.
    if (!(await services.releases.transition(active.id, ['shipping'], { status: 'failed' }))) return [];
    await event('ship_interrupted', { reason: 'shipping with no applications and no watcher job' });
    const fresh = await publish(services, active.id);
    await postInThread(
      services,
      fresh,
      null,
      noticeMessage(
        `Release #${active.id} was left shipping with nothing started (dpbot stopped while starting it): nothing was deployed. "release ship --release ${active.id}" starts it again.`,
        'in_channel',
      ),
    );
    return [active.id];
  }
  await sendWatch(services, active.id);
  services.log.warn({ release: active.id }, 'shipping release had no watcher; queued one');
  await event('watch_resumed', { reason: 'shipping with no watcher job' });
  return [active.id];
}

/** Release workers: the ship watcher, rollback watchers, reminders and the weekly schedule. */
export const releaseJobs: JobRegistration<ReleaseDeps> = async (services) => {
  const { jobs } = services;
  const poll = services.config.release.pollInterval;
  // A watcher re-queues itself after each look. A look that fails (the database or Argo CD away
  // for a moment) must not end the watch, as pg-boss would once its retries are spent: it is
  // logged and the next look comes later. The looks themselves end on the sync timeout.
  const watch = async (queue: string, data: object, look: () => Promise<boolean>) => {
    let more: boolean;
    let delay = poll;
    try {
      more = await look();
    } catch (error) {
      services.log.error({ err: error, queue, data }, 'release watcher look failed; trying again later');
      more = true;
      delay = poll * 5;
    }
    if (more) await jobs.send(queue, data, { startAfter: later(services, delay), settings: WATCH_SETTINGS });
  };
  await jobs.work<{ releaseId: number }>(
    QUEUES.watch,
    (data) => watch(QUEUES.watch, data, () => shipTick(services, data.releaseId)),
    WATCH_SETTINGS,
  );
  await jobs.work<RollbackJob>(
    QUEUES.watchRollback,
    (data) => watch(QUEUES.watchRollback, data, () => rollbackTick(services, data.key)),
    WATCH_SETTINGS,
  );
  await jobs.work<{ releaseId: number }>(
    QUEUES.shipped,
    ({ releaseId }) => announceShipped(services, releaseId),
    SHIPPED_SETTINGS,
  );
  await jobs.work(
    QUEUES.sweep,
    async () => {
      await sweepShipping(services);
      await sweepNotices(services);
    },
    ONE_AT_A_TIME,
  );
  await jobs.schedule(QUEUES.sweep, '* * * * *');
  await jobs.work<RollbackJob>(QUEUES.autoSyncReminder, async ({ key }) => {
    if (await autoSyncReminder(services, key))
      await jobs.send(
        QUEUES.autoSyncReminder,
        { key },
        { startAfter: later(services, services.config.release.autoSyncReminderInterval) },
      );
  });
  await jobs.work<{ releaseId: number }>(QUEUES.remindOwners, ({ releaseId }) =>
    remindOwners(services, releaseId),
  );
  await jobs.work(QUEUES.weekly, () => weeklyReminder(services));
  // Jira failures are reported by trackerAtShip itself; one retry covers a replica dying mid-way
  // (setting a fix version twice changes nothing).
  await jobs.work<{ releaseId: number }>(
    QUEUES.tracker,
    ({ releaseId }) => trackerAtShip(services, releaseId),
    {
      retryLimit: 1,
    },
  );
  // Each batch's rows say what is left: a retry (or a second run) sends only what was not sent.
  await jobs.work<NoticeJob>(
    QUEUES.notices,
    async (batch) => {
      await sendNotices(services, batch);
    },
    NOTICE_SETTINGS,
  );
  const schedule = services.config.release.schedule;
  if (schedule) await jobs.schedule(QUEUES.weekly, schedule.cron, {}, { tz: schedule.timezone });
  else await jobs.unschedule(QUEUES.weekly);
};
