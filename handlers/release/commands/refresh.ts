import { z } from 'zod';
import { ConflictError } from '../../../core/errors.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { collect, refreshPoints } from '../collect.ts';
import { defineCommand } from '../deps.ts';
import { loadSnapshot, postInThread, publish } from '../publish.ts';
import { trackerAfterStart } from '../tracker.ts';
import { findRelease, releaseId } from './common.ts';

export const releaseRefresh = defineCommand({
  name: 'release refresh',
  summary: 'Add pull requests merged since the release started, as late additions',
  usage: 'release refresh [--release <id>]',
  examples: ['release refresh'],
  description:
    'Late additions move the service to the new branch head. A service whose owners had already decided is asked again, since what it ships changed.',
  params: { flags: { release: 'string' } },
  args: z.object({ release: releaseId.optional() }),
  action: 'release.start',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  run: async (args, ctx) => {
    const services = ctx.deps;
    const release = await findRelease(services, args.release);
    if (release.status !== 'open')
      throw new ConflictError(
        `release #${release.id} is ${release.status}; only an open release can take late additions`,
      );
    const snapshot = await loadSnapshot(services, release.id);
    const collected = await collect(services, refreshPoints(snapshot.services, snapshot.prs));
    const added = await services.releases.addPrs(
      collected.prs.map((p) => ({ ...p, releaseId: release.id, late: true })),
    );
    const touched = new Set(added.flatMap((p) => p.services));
    const asked: string[] = [];
    for (const s of collected.services) {
      if (!touched.has(s.config.name)) continue;
      await services.releases.updateService(release.id, s.config.name, {
        revision: s.head.oid,
        revisionDate: s.head.committedDate,
        shipStatus: 'pending',
      });
      const decision = snapshot.confirmations.find((c) => c.service === s.config.name);
      if (decision && decision.decision !== 'pending') {
        await services.releases.decide(release.id, s.config.name, 'pending', ctx.caller.email, null);
        asked.push(s.config.name);
      }
    }
    // New keys: look them up again, and the keys without a pull request may have changed.
    if (added.length > 0)
      await services.releases.update(release.id, {
        trackerNote: await trackerAfterStart(services, await loadSnapshot(services, release.id)),
      });
    const fresh = await publish(services, release.id);
    for (const service of touched) {
      const list = added.filter((p) => p.services.includes(service)).map((p) => `#${p.number} ${p.title}`);
      await postInThread(
        services,
        fresh,
        service,
        noticeMessage(
          `Late addition(s) to ${service}: ${list.join('; ')}.${asked.includes(service) ? ' What ships changed, so the owners are asked again.' : ''}`,
          'in_channel',
        ),
      );
    }
    const total = [...collected.requests.values()].reduce((a, b) => a + b, 0);
    return noticeMessage(
      added.length
        ? `Release #${release.id}: ${added.length} late addition(s) (${added.map((p) => `${p.repository}#${p.number}`).join(', ')})${asked.length ? `; asked again: ${asked.join(', ')}` : ''}. ${total} GitHub request(s).`
        : `Release #${release.id}: nothing merged since it started (${total} GitHub request(s)).`,
    );
  },
});
