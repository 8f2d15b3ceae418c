import { z } from 'zod';
import type { Services } from '../../../bot/services.ts';
import { InputError, NotFoundError } from '../../../core/errors.ts';
import { previousDeployment } from '../../../integrations/argocd/assess.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { requireArgo, serviceConfig } from '../people.ts';
import { loadSnapshot } from '../publish.ts';
import { notDeployed, type RollbackTarget, rollBack } from '../rollback.ts';
import { applicationArg, findRelease, releaseId, serviceArg } from './common.ts';

async function releaseTarget(services: Services, application: string, id?: number) {
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

const autoSyncNote = async (ctx: CommandContext<ReleaseDeps>, application: string): Promise<string[]> => {
  const app = await requireArgo(ctx.services).get(application);
  return app.spec.syncPolicy?.automated
    ? [
        `Auto-sync is on for ${application}: dpbot turns it off first (Argo CD refuses a rollback otherwise) and reminds until it is back on.`,
      ]
    : [];
};

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

async function adHocTargets(
  services: Services,
  service: string,
  application?: string,
): Promise<RollbackTarget[]> {
  const svc = serviceConfig(services, service);
  const argocd = requireArgo(services);
  const names = application ? [application] : svc.applications;
  if (application && !svc.applications.includes(application))
    throw new InputError(
      `${application} is not an application of ${service} (its applications: ${svc.applications.join(', ')})`,
    );
  const out: RollbackTarget[] = [];
  for (const name of names) {
    const app = await argocd.get(name);
    const current = [...(app.status?.history ?? [])].sort((a, b) => a.id - b.id).at(-1);
    const previous = previousDeployment(app);
    if (!current || !previous)
      throw new InputError(`${name} has no earlier deployment in its Argo CD history to roll back to`);
    out.push({
      key: `app:${name}:${current.id}`,
      releaseId: null,
      service,
      application: name,
      historyId: previous.id,
      revision: previous.revision,
      fromRevision: current.revision,
    });
  }
  return out;
}

export const rollback = defineCommand({
  name: 'rollback',
  summary: 'Roll a service back to its previous deployment, outside a release',
  usage: 'rollback <service> [--app <application>]',
  examples: ['rollback orders-api', 'rollback orders-api --app orders-api-worker'],
  params: { positionals: ['service'], flags: { app: 'string' } },
  args: z.object({ service: serviceArg, app: applicationArg.optional() }),
  action: 'release.rollback',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  confirm: async (args, ctx) => {
    const targets = await adHocTargets(ctx.services, args.service, args.app);
    const notes = (await Promise.all(targets.map((t) => autoSyncNote(ctx, t.application)))).flat();
    return {
      summary: `Roll back ${args.service}: ${targets.map((t) => `${t.application} ${t.fromRevision?.slice(0, 7)} → ${t.revision?.slice(0, 7)}`).join(', ')}`,
      details: notes,
    };
  },
  run: async (args, ctx) => {
    const targets = await adHocTargets(ctx.services, args.service, args.app);
    const messages = [];
    for (const t of targets) messages.push(await rollBack(ctx, t));
    return {
      text: messages.map((m) => m.text).join('\n'),
      visibility: 'in_channel' as const,
      blocks: messages.flatMap((m) => m.blocks ?? []),
    };
  },
});
