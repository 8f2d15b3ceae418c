import { z } from 'zod';
import { ConflictError, InputError } from '../../../core/errors.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { appHistory, redeployWarning } from '../deployments.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import {
  auditFreezeException,
  freezeApproval,
  freezeDetails,
  passFreezes,
  refuseClosedSyncWindows,
} from '../freezeCheck.ts';
import { requireArgo } from '../people.ts';
import { planWaves } from '../planWaves.ts';
import { loadSnapshot, postInThread, publish, sendWatch } from '../publish.ts';
import { QUEUES } from '../queues.ts';
import { trackerShipping } from '../tracker.ts';
import { findRelease, releaseId } from './common.ts';

async function plan(
  ctx: Parameters<NonNullable<Parameters<typeof defineCommand>[0]['confirm']>>[1],
  id?: number,
) {
  const services = ctx.deps;
  const release = await findRelease(services, id);
  if (release.status !== 'open' && release.status !== 'failed')
    throw new ConflictError(
      `release #${release.id} is ${release.status}; only an open (or stopped) release can ship`,
    );
  const snapshot = await loadSnapshot(services, release.id);
  const pending = snapshot.confirmations.filter((c) => c.decision === 'pending').map((c) => c.service);
  if (pending.length)
    throw new ConflictError(
      `still waiting for a decision on ${pending.join(', ')}: their owners (or a release manager) click Include or Skip first`,
    );
  const included = snapshot.confirmations.filter((c) => c.decision === 'include').map((c) => c.service);
  if (!included.length)
    throw new InputError(
      `nothing to ship: every service of release #${release.id} was skipped; cancel it instead`,
    );
  const revisions = new Map(snapshot.services.map((s) => [s.service, s.revision]));
  const apps = planWaves(services, included, revisions).filter(
    (a) => !snapshot.apps.some((x) => x.application === a.application && x.status === 'healthy'),
  );
  return { release, snapshot, included, apps };
}

/**
 * A warning for each application the release would deploy a build to that was rolled back (a
 * release rolled back with nothing merged since ships the same commit again). Argo CD not
 * answering here is no reason to hold the question back: the ship itself will say.
 */
async function rolledBackBuilds(
  services: ReleaseDeps,
  apps: readonly { application: string; revision: string }[],
): Promise<string[]> {
  const argocd = requireArgo(services);
  const out: string[] = [];
  for (const a of apps) {
    try {
      const history = await appHistory(services, a.application, await argocd.get(a.application));
      out.push(...redeployWarning(history, a.revision).map((w) => `${a.application}: ${w}`));
    } catch (error) {
      services.log.warn(
        { err: error, application: a.application },
        'could not read what the application ran',
      );
    }
  }
  return out;
}

const SHIP = { verb: 'shipped', retry: 'ship' };

export const releaseShip = defineCommand({
  name: 'release ship',
  summary: 'Deploy the included services through Argo CD, wave by wave, and watch them',
  usage: 'release ship [--release <id>] [--reason <why, during a freeze>]',
  examples: ['release ship', 'release ship --reason "fix for INC-42 cannot wait"'],
  description:
    'Each application is synced to the release revision; it is done when the sync succeeded, Argo CD reconciled it after, it is Synced and Healthy, and it stays Healthy for release.settleTime. A failure stops the next waves; shipping a stopped release again retries what did not ship. During a deploy freeze it is refused, except for holders of release.ship.frozen, who give --reason; a closed Argo CD sync window refuses it too.',
  params: { flags: { release: 'string', reason: 'string' } },
  args: z.object({ release: releaseId.optional(), reason: z.string().trim().max(300).optional() }),
  action: 'release.ship',
  resourceKinds: ['release'],
  resource: () => 'release:weekly',
  confirm: async (args, ctx) => {
    requireArgo(ctx.deps);
    const { release, apps, included } = await plan(ctx, args.release);
    // Refused here, before the question: nobody confirms a ship that would be refused.
    const pass = await passFreezes(ctx, included, args.reason, SHIP);
    await refuseClosedSyncWindows(
      ctx.deps,
      apps.map((a) => a.application),
    );
    const waves = Math.max(0, ...apps.map((a) => a.wave)) - Math.min(...apps.map((a) => a.wave)) + 1;
    return {
      summary: `Ship release #${release.id}: ${apps.length} Argo CD application(s) in ${waves} wave(s)`,
      details: [
        ...apps.map((a) => `wave ${a.wave}: ${a.application} (${a.service}) → ${a.revision.slice(0, 7)}`),
        ...(await rolledBackBuilds(ctx.deps, apps)),
        ...freezeDetails(pass),
      ],
    };
  },
  // Going through a freeze takes a second person when the release.ship.frozen grant says so.
  approval: async (args, ctx) => {
    if (!(await ctx.deps.freezeGate?.active())?.length) return null;
    const { included } = await plan(ctx, args.release);
    return freezeApproval(ctx, await passFreezes(ctx, included, args.reason, SHIP));
  },
  run: async (args, ctx) => {
    const services = ctx.deps;
    requireArgo(services);
    const { release, snapshot, included, apps } = await plan(ctx, args.release);
    // Asked again: a freeze set while the question waited counts. A sync window that closed
    // meanwhile is Argo CD's to refuse, and the watcher says so; it is not read twice.
    const pass = await passFreezes(ctx, included, args.reason, SHIP);
    await auditFreezeException(ctx, pass);
    const note = trackerShipping(services, snapshot);
    // The state, the applications and the watcher that moves them commit together: a crash or a
    // lost database part-way leaves the release as it was (and the caller told so), never
    // "shipping" with nothing to carry it on.
    const started = await services.releases.inTransaction(async (releases, tx) => {
      if (
        !(await releases.transition(release.id, ['open', 'failed'], {
          status: 'shipping',
          shipStartedBy: ctx.caller.email,
          shipStartedAt: services.now(),
          ...(note ? { trackerNote: note } : {}),
        }))
      )
        return false;
      // A retry starts the applications that did not become healthy again from scratch.
      await releases.createApps(apps.map((a) => ({ ...a, releaseId: release.id })));
      for (const a of apps)
        await releases.updateApp(release.id, a.application, {
          status: 'waiting',
          wave: a.wave,
          revision: a.revision,
          blocked: 0,
          message: null,
          healthySince: null,
          syncRequestedAt: null,
        });
      for (const s of included) await releases.updateService(release.id, s, { shipStatus: 'waiting' });
      await sendWatch(services, release.id, { tx });
      // The fix version is set in the background: Jira never holds up the deployment.
      if (services.releaseTracker)
        await services.jobs.send(QUEUES.tracker, { releaseId: release.id }, { tx });
      return true;
    });
    if (!started) throw new ConflictError(`release #${release.id} is already being shipped`);
    const fresh = await publish(services, release.id);
    const exception = pass.freezes.length
      ? ` during a freeze (${pass.freezes.map((f) => f.label).join(', ')}), as an exception: ${pass.reason}`
      : '';
    const text = `${ctx.caller.name ?? ctx.caller.email} is shipping release #${release.id}${exception}: ${apps.map((a) => a.application).join(', ')}. Progress is shown on the release message.`;
    // Said once, in the release message's thread; the one who shipped is told where.
    await postInThread(services, fresh, null, noticeMessage(text, 'in_channel'));
    return noticeMessage(
      `Release #${release.id} ships now: ${apps.length} application(s); the release message in ${fresh.release.channel} shows the progress, its thread what happens.`,
    );
  },
});
