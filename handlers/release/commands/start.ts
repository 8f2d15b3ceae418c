import { z } from 'zod';
import { ConflictError, InputError } from '../../../core/errors.ts';
import { andMore } from '../../../pipeline/views/paging.ts';
import { collect, startPoints } from '../collect.ts';
import { defineCommand } from '../deps.ts';
import { publish } from '../publish.ts';
import { QUEUES } from '../queues.ts';
import { trackerAfterStart } from '../tracker.ts';
import { startedMessage } from '../views/notices.ts';

export const releaseStart = defineCommand({
  name: 'release start',
  summary: 'Start the weekly release: collect merged pull requests and ask owners what ships',
  usage: 'release start [--since <ref|date>]',
  examples: [
    'release start',
    'release start --since 2026-11-01',
    'release start --since v1.4.0',
    'release start --since 7d',
  ],
  description:
    'Each service starts from the commit its last release shipped; a service never shipped by dpbot starts from --since (a date, a duration, or a tag or commit of its repository), which is required until every service has shipped once.',
  params: { flags: { since: 'string' } },
  args: z.object({
    since: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9._/:+-]*$/, {
        error: 'expected a date (2026-11-01), a duration (7d), or a tag or commit',
      })
      .optional(),
  }),
  action: 'release.start',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const services = ctx.deps;
    const config = services.config.release;
    if (config.services.length === 0)
      throw new InputError(
        'release.services in the configuration lists no services; add them (dpbot.example.yaml shows how)',
      );
    const active = await services.releases.active();
    if (active)
      throw new ConflictError(
        `release #${active.id} is still ${active.status}; ship it or cancel it ("release cancel") before starting another`,
      );
    const points = await startPoints(services, args.since);
    const collected = await collect(services, points);
    const release = await services.releases.create({
      startedBy: ctx.caller.email,
      since: args.since ?? null,
      channel: config.channel,
      services: collected.services.map((s) => ({
        releaseId: 0,
        service: s.config.name,
        repository: s.config.repository,
        branch: s.config.branch,
        revision: s.head.oid,
        revisionDate: s.head.committedDate,
        sinceRevision: s.start.revision,
        sinceDate: s.start.date,
      })),
      prs: collected.prs.map((p) => ({ ...p, releaseId: 0 })),
    });
    // A service with nothing merged has nothing to decide.
    const empty = collected.services.filter(
      (s) => !collected.prs.some((p) => p.services.includes(s.config.name)),
    );
    for (const s of empty) {
      await services.releases.decide(release.id, s.config.name, 'skip', 'dpbot', 'no pull requests merged');
      await services.releases.updateService(release.id, s.config.name, { shipStatus: 'skipped' });
    }
    let snapshot = await services.releases.snapshot(release.id);
    if (snapshot)
      await services.releases.update(release.id, {
        trackerNote: await trackerAfterStart(services, snapshot),
      });
    snapshot = await publish(services, release.id);
    await services.jobs.send(
      QUEUES.remindOwners,
      { releaseId: release.id },
      { startAfter: new Date(services.now().getTime() + config.reminderInterval) },
    );
    const total = [...collected.requests.values()].reduce((a, b) => a + b, 0);
    const lines = collected.services.map((s) => {
      const n = collected.prs.filter((p) => p.services.includes(s.config.name)).length;
      return `• ${s.config.name}: ${n} pull request(s) ${s.start.origin} → ${s.head.oid.slice(0, 7)}`;
    });
    const noKey = collected.prs
      .filter((p) => p.jiraKeys.length === 0)
      .map((p) => `${p.repository}#${p.number}`);
    const title = `Release #${release.id} started: ${collected.prs.length} pull request(s) in ${collected.services.length} service(s), read with ${total} GitHub request(s). Owners are asked in ${config.channel}.`;
    const footer = [
      noKey.length
        ? `Without a Jira key: ${andMore(noKey, 30, "each service's thread lists its own")}`
        : 'Every pull request has a Jira key.',
      snapshot.release.trackerNote ?? '',
    ].filter(Boolean);
    return startedMessage(title, lines, footer);
  },
});
