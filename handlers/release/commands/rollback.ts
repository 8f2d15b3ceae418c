import { z } from 'zod';
import { NotFoundError } from '../../../core/errors.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { loadSnapshot } from '../publish.ts';
import { notDeployed, type RollbackTarget, rollBack } from '../rollback.ts';
import { applicationArg, autoSyncNote, findRelease, releaseId } from './common.ts';

async function releaseTarget(services: ReleaseDeps, application: string, id?: number) {
  const release = await findRelease(services, id);
  const snapshot = await loadSnapshot(services, release.id);
  const app = snapshot.apps.find((a) => a.application === application);
  if (!app) {
    const known = snapshot.apps.map((a) => a.application);
    throw new NotFoundError(
      `${application} is not deployed by release #${release.id}${known.length ? ` (its applications: ${known.join(', ')})` : ' (it has not shipped yet)'}`,
    );
  }
  if (app.previousHistoryId === null) throw notDeployed(application, release.id);
  const target: RollbackTarget = {
    key: `release:${release.id}:${application}`,
    releaseId: release.id,
    service: app.service,
    application,
    historyId: app.previousHistoryId,
    revision: app.previousRevision,
    fromRevision: app.revision,
  };
  return { target, snapshot };
}

export const releaseRollback = defineCommand({
  name: 'release rollback',
  summary: 'Roll an application of a release back to what ran before it',
  usage: 'release rollback <application> [--release <id>]',
  examples: ['release rollback orders-api', 'release rollback orders-api --release 12'],
  params: { positionals: ['application'], flags: { release: 'string' } },
  args: z.object({ application: applicationArg, release: releaseId.optional() }),
  action: 'release.rollback',
  // Checked against the application (`app:orders-api`): the button names it, and its service is
  // only known from the release. Grants for owners name both (`service:orders-*`, `app:orders-*`).
  resourceKinds: ['app'],
  resource: (a) => `app:${a.application}`,
  confirm: async (args, ctx) => {
    const { target } = await releaseTarget(ctx.services, args.application, args.release);
    return {
      summary: `Roll back ${target.application} (${target.service}) from ${target.fromRevision?.slice(0, 7)} to ${target.revision?.slice(0, 7) ?? `history ${target.historyId}`}`,
      details: await autoSyncNote(ctx, target.application),
    };
  },
  run: async (args, ctx) => {
    const { target, snapshot } = await releaseTarget(ctx.services, args.application, args.release);
    return rollBack(ctx, target, snapshot);
  },
});
