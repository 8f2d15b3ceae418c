import { z } from 'zod';
import { ConflictError, NotFoundError } from '../../../core/errors.ts';
import type { Release } from '../../../db/stores/releaseStore.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { applicationNamed } from '../names.ts';
import { loadSnapshot } from '../publish.ts';
import { notDeployed, type RollbackTarget, rollBack } from '../rollback.ts';
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
  if (app.status === 'rolled_back' || app.status === 'rolling_back')
    throw new ConflictError(
      `${application} of release #${release.id} is already ${app.status === 'rolled_back' ? 'rolled back' : 'being rolled back'}${app.message ? ` (${app.message})` : ''}`,
    );
  const target: RollbackTarget = {
    key: `release:${release.id}:${application}`,
    releaseId: release.id,
    service: app.service,
    application,
    historyId: app.previousHistoryId,
    revision: app.previousRevision,
    fromRevision: app.revision,
    origin: `of release #${release.id}`,
  };
  return { target, snapshot };
}

export const releaseRollback = defineCommand({
  name: 'release rollback',
  summary: 'Roll an application of a release back to what ran before it',
  description:
    'Without --release: the latest release that deployed the application, the one under way or the one that just shipped.',
  usage: 'release rollback <application> [--release <id>]',
  examples: ['release rollback orders-api', 'release rollback orders-api --release 1'],
  params: { positionals: ['application'], flags: { release: 'string' } },
  args: z.object({ application: applicationArg, release: releaseId.optional() }),
  action: 'release.rollback',
  // Checked against the application (`app:orders-api`): the button names it, and its service is
  // only known from the release. Grants for owners name both (`service:orders-*`, `app:orders-*`).
  resourceKinds: ['app'],
  resource: (a) => `app:${a.application}`,
  names: (a, ctx) => [applicationNamed(ctx.services.config, a.application)],
  confirm: async (args, ctx) => {
    const { target } = await releaseTarget(ctx.services, args.application, args.release);
    return {
      summary: `Roll back ${target.application} (${target.service}) ${target.origin} from ${target.fromRevision?.slice(0, 7)} to ${target.revision?.slice(0, 7) ?? `history ${target.historyId}`}`,
      details: await autoSyncNote(ctx, target.application),
    };
  },
  run: async (args, ctx) => {
    const { target, snapshot } = await releaseTarget(ctx.services, args.application, args.release);
    return rollBack(ctx, target, snapshot);
  },
});
