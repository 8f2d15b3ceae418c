import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import type { ReleaseSnapshot } from '../../../db/stores/releaseStore.ts';
import { previousDeployment } from '../../../integrations/argocd/assess.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { serviceNamed } from '../names.ts';
import { requireArgo, serviceConfig } from '../people.ts';
import { loadSnapshot } from '../publish.ts';
import { type RollbackTarget, rollBack } from '../rollback.ts';
import { applicationArg, autoSyncNote, serviceArg } from './common.ts';

interface AdHocTarget {
  target: RollbackTarget;
  /** The release whose deployment this undoes, when what runs is what a release shipped. */
  snapshot?: ReleaseSnapshot;
}

/**
 * The previous deployment of each application of a service (or of the one named), from Argo CD.
 * When what runs is what a release deployed, the rollback is recorded against that release, so
 * its status, its thread and the next release's start point all know the release's changes no
 * longer run.
 */
async function adHocTargets(
  services: ReleaseDeps,
  service: string,
  application?: string,
): Promise<AdHocTarget[]> {
  const svc = serviceConfig(services, service);
  const argocd = requireArgo(services);
  const names = application ? [application] : svc.applications;
  if (application && !svc.applications.includes(application))
    throw new InputError(
      `${application} is not an application of ${service} (its applications: ${svc.applications.join(', ')})`,
    );
  const out: AdHocTarget[] = [];
  for (const name of names) {
    const app = await argocd.get(name);
    const current = [...(app.status?.history ?? [])].sort((a, b) => a.id - b.id).at(-1);
    const previous = previousDeployment(app);
    if (!current || !previous)
      throw new InputError(`${name} has no earlier deployment in its Argo CD history to roll back to`);
    const last = await services.releases.lastDeployment(name);
    const shippedByRelease =
      last &&
      last.app.revision === current.revision &&
      (last.app.status === 'healthy' || last.app.status === 'degraded');
    const snapshot = shippedByRelease ? await loadSnapshot(services, last.release.id) : undefined;
    out.push({
      target: {
        key: `app:${name}:${current.id}`,
        releaseId: snapshot ? snapshot.release.id : null,
        service,
        application: name,
        historyId: previous.id,
        revision: previous.revision,
        fromRevision: current.revision,
        origin: snapshot
          ? `outside a release (release #${snapshot.release.id} deployed it)`
          : 'outside a release',
      },
      ...(snapshot ? { snapshot } : {}),
    });
  }
  return out;
}

export const rollbackService = defineCommand({
  name: 'rollback',
  summary: 'Roll a service back to its previous deployment, outside a release',
  usage: 'rollback <service> [--app <application>]',
  examples: ['rollback orders-api', 'rollback catalog --app catalog-worker'],
  params: { positionals: ['service'], flags: { app: 'string' } },
  args: z.object({ service: serviceArg, app: applicationArg.optional() }),
  action: 'release.rollback',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.services.config, a.service)],
  confirm: async (args, ctx) => {
    const targets = (await adHocTargets(ctx.services, args.service, args.app)).map((t) => t.target);
    const notes = (await Promise.all(targets.map((t) => autoSyncNote(ctx, t.application)))).flat();
    return {
      summary: `Roll back ${args.service}: ${targets.map((t) => `${t.application} ${t.fromRevision?.slice(0, 7)} → ${t.revision?.slice(0, 7)}${t.releaseId !== null ? ` (deployed by release #${t.releaseId})` : ''}`).join(', ')}`,
      details: notes,
    };
  },
  run: async (args, ctx) => {
    const targets = await adHocTargets(ctx.services, args.service, args.app);
    const messages = [];
    for (const t of targets) messages.push(await rollBack(ctx, t.target, t.snapshot));
    return {
      text: messages.map((m) => m.text).join('\n'),
      visibility: 'in_channel' as const,
      blocks: messages.flatMap((m) => m.blocks ?? []),
    };
  },
});
