import { z } from 'zod';
import { InputError } from '../../../core/errors.ts';
import { deploymentHistory, previousDeployment } from '../../../integrations/argocd/assess.ts';
import { type AppHistory, appHistory, describeRevision, redeployWarning, short } from '../deployments.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import {
  auditFreezeException,
  freezeApproval,
  freezeDetails,
  passFreezesForRollback,
} from '../freezeCheck.ts';
import { serviceNamed } from '../names.ts';
import { requireArgo, serviceConfig } from '../people.ts';
import { loadSnapshot } from '../publish.ts';
import { type RollbackTarget, rollBack } from '../rollback.ts';
import type { ReleaseSnapshot } from '../stores/releaseStore.ts';
import { applicationArg, autoSyncNote, serviceArg } from './common.ts';

interface AdHocTarget {
  target: RollbackTarget;
  /** What dpbot and Argo CD know of the application's deployments, for the question. */
  history: AppHistory;
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
    const current = deploymentHistory(app).at(-1);
    const previous = previousDeployment(app);
    if (!current || !previous)
      throw new InputError(`${name} has no earlier deployment in its Argo CD history to roll back to`);
    const history = await appHistory(services, name, app);
    const last = await services.releases.lastDeployment(name);
    const shippedByRelease =
      last &&
      last.app.revision === current.revision &&
      (last.app.status === 'healthy' || last.app.status === 'degraded');
    // Going back to what the last release shipped (after its rollback) is recorded on it too, so
    // its status says it runs again.
    const redeploysRelease =
      last && last.app.revision === previous.revision && last.app.status === 'rolled_back';
    const snapshot =
      shippedByRelease || redeploysRelease ? await loadSnapshot(services, last.release.id) : undefined;
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
          ? `outside a release (release #${snapshot.release.id} deployed ${shippedByRelease ? 'it' : 'what it goes back to'})`
          : 'outside a release',
      },
      history,
      ...(snapshot ? { snapshot } : {}),
    });
  }
  return out;
}

export const rollbackService = defineCommand({
  name: 'rollback',
  summary: 'Roll a service back to its previous deployment, outside a release',
  usage: 'rollback <service> [--app <application>] [--reason <why>]',
  examples: ['rollback orders-api', 'rollback catalog --app catalog-worker'],
  params: { positionals: ['service'], flags: { app: 'string', reason: 'string' } },
  args: z.object({
    service: serviceArg,
    app: applicationArg.optional(),
    reason: z.string().trim().max(300).optional(),
  }),
  action: 'release.rollback',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  names: (a, ctx) => [serviceNamed(ctx.deps.config, a.service)],
  confirm: async (args, ctx) => {
    const pass = await passFreezesForRollback(ctx, args.service, args.reason);
    const found = await adHocTargets(ctx.deps, args.service, args.app);
    const targets = found.map((t) => t.target);
    const notes = (await Promise.all(targets.map((t) => autoSyncNote(ctx, t.application)))).flat();
    return {
      summary: `Roll back ${args.service}: ${targets.map((t) => `${t.application} ${short(t.fromRevision)} → ${short(t.revision)}`).join(', ')}`,
      details: [
        ...found.flatMap(({ target: t, history }) => [
          `${t.application} runs ${describeRevision(history, t.fromRevision)}.`,
          `It goes back to ${describeRevision(history, t.revision)}, Argo CD history ${t.historyId}.`,
          ...redeployWarning(history, t.revision),
        ]),
        ...notes,
        ...freezeDetails(pass),
      ],
    };
  },
  approval: async (args, ctx) =>
    freezeApproval(ctx, await passFreezesForRollback(ctx, args.service, args.reason)),
  run: async (args, ctx) => {
    await auditFreezeException(ctx, await passFreezesForRollback(ctx, args.service, args.reason));
    const targets = await adHocTargets(ctx.deps, args.service, args.app);
    const messages = [];
    for (const t of targets) messages.push(await rollBack(ctx, t.target, t.snapshot));
    return {
      text: messages.map((m) => m.text).join('\n'),
      // In the channel unless each rollback was told in its release's thread already.
      visibility: messages.some((m) => m.visibility === 'in_channel')
        ? ('in_channel' as const)
        : ('ephemeral' as const),
      blocks: messages.flatMap((m) => m.blocks ?? []),
    };
  },
});
