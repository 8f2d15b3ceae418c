import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { appHistory, describeRevision, redeployWarning, short } from '../deployments.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import {
  auditFreezeException,
  freezeApproval,
  freezeDetails,
  passFreezesForRollback,
} from '../freezeCheck.ts';
import { applicationNamed } from '../names.ts';
import { requireArgo } from '../people.ts';
import { loadSnapshot } from '../publish.ts';
import { notDeployed, type RollbackTarget, rollBack } from '../rollback.ts';
import type { Release } from '../stores/releaseStore.ts';
import { applicationArg, autoSyncNote, findRelease, releaseId } from './common.ts';

/**
 * The release whose deployment of `application` is rolled back: the one named, or else the latest
 * that deployed it — the one under way, or the one that just shipped (a rollback is most often
 * wanted right after a release finished).
 */
async function deployingRelease(services: ReleaseDeps, application: string, id?: number): Promise<Release> {
  if (id !== undefined) return findRelease(services, id);
  const last = await services.releases.lastDeployment(application);
  if (last) return last.release;
  throw new NotFoundError(
    `no release has deployed ${application} yet; "rollback <service>" rolls a service back to its previous Argo CD deployment outside a release`,
  );
}

async function releaseTarget(services: ReleaseDeps, application: string, id?: number) {
  const release = await deployingRelease(services, application, id);
  const snapshot = await loadSnapshot(services, release.id);
  const app = snapshot.apps.find((a) => a.application === application);
  if (!app) {
    const known = snapshot.apps.map((a) => a.application);
    throw new NotFoundError(
      `${application} is not deployed by release #${release.id}${known.length ? ` (its applications: ${known.join(', ')})` : ' (it has not shipped yet)'}`,
    );
  }
  if (app.previousHistoryId === null) throw notDeployed(application, release.id);
  if (app.status === 'rolling_back')
    throw new ConflictError(
      `${application} of release #${release.id} is already being rolled back${app.message ? ` (${app.message})` : ''}`,
    );
  const key = `release:${release.id}:${application}`;
  // What runs decides, not what dpbot last wrote down: after a rollback the release's revision may
  // run again (redeployed by a rollback, or in Argo CD directly), and may be rolled back again.
  const history = await appHistory(services, application, await requireArgo(services).get(application));
  const running = history.running;
  const earlier = await services.releases.getRollback(key);
  if (running && running.revision !== app.revision) {
    if (earlier?.status === 'done' && app.status === 'rolled_back')
      throw new ConflictError(
        `${application} was already rolled back by ${earlier.requestedBy} at ${formatTime(earlier.updatedAt)}: it runs ${describeRevision(history, running.revision)}`,
      );
    throw new ConflictError(
      `${application} no longer runs what release #${release.id} shipped (${short(app.revision)}): it runs ${describeRevision(history, running.revision)}. "rollback ${app.service}" goes back to its previous deployment.`,
    );
  }
  // A second rollback of the same release, deployed again after the first one's entry, is a new
  // one; until that entry shows, the first one's key stops a double click.
  const firstMade = earlier ? history.entries.find((d) => d.rollback?.key === earlier.key) : undefined;
  const again = firstMade && running && running.historyId > firstMade.historyId;
  const target: RollbackTarget = {
    key: again ? `${key}:${running.historyId}` : key,
    releaseId: release.id,
    service: app.service,
    application,
    historyId: app.previousHistoryId,
    revision: app.previousRevision,
    fromRevision: app.revision,
    origin: `of release #${release.id}`,
  };
  return { target, snapshot, history };
}

export const releaseRollback = defineCommand({
  name: 'release rollback',
  summary: 'Roll an application of a release back to what ran before it',
  description:
    'Without --release: the latest release that deployed the application, the one under way or the one that just shipped.',
  usage: 'release rollback <application> [--release <id>] [--reason <why>]',
  examples: ['release rollback orders-api', 'release rollback orders-api --release 1'],
  params: { positionals: ['application'], flags: { release: 'string', reason: 'string' } },
  args: z.object({
    application: applicationArg,
    release: releaseId.optional(),
    reason: z.string().trim().max(300).optional(),
  }),
  action: 'release.rollback',
  // Checked against the application (`app:orders-api`): the button names it, and its service is
  // only known from the release. Grants for owners name both (`service:orders-*`, `app:orders-*`).
  resourceKinds: ['app'],
  resource: (a) => `app:${a.application}`,
  names: (a, ctx) => [applicationNamed(ctx.deps.config, a.application)],
  confirm: async (args, ctx) => {
    const { target, history } = await releaseTarget(ctx.deps, args.application, args.release);
    const pass = await passFreezesForRollback(ctx, target.service, args.reason);
    return {
      summary: `Roll back ${target.application} (${target.service}) ${target.origin} from ${short(target.fromRevision)} to ${target.revision ? short(target.revision) : `history ${target.historyId}`}`,
      details: [
        `${target.application} runs ${describeRevision(history, target.fromRevision)}.`,
        `It goes back to ${describeRevision(history, target.revision)}, Argo CD history ${target.historyId}.`,
        ...redeployWarning(history, target.revision),
        ...(await autoSyncNote(ctx, target.application)),
        ...freezeDetails(pass),
      ],
    };
  },
  approval: async (args, ctx) => {
    // Only a freeze that blocks rollbacks can ask for a second person: Argo CD is not read otherwise.
    if (!ctx.deps.freezeGate?.blockRollbacks) return null;
    const { target } = await releaseTarget(ctx.deps, args.application, args.release);
    return freezeApproval(ctx, await passFreezesForRollback(ctx, target.service, args.reason));
  },
  run: async (args, ctx) => {
    const { target, snapshot } = await releaseTarget(ctx.deps, args.application, args.release);
    await auditFreezeException(ctx, await passFreezesForRollback(ctx, target.service, args.reason));
    return rollBack(ctx, target, snapshot);
  },
});
