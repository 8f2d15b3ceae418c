import { z } from 'zod';
import { ConflictError, NotAllowedError, NotFoundError } from '../../../core/errors.ts';
import { autoSyncEnabled } from '../../../integrations/argocd/syncPolicy.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import type { Message } from '../../../pipeline/message.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import type { ReleaseDeps } from '../deps.ts';
import { isManager, isOwner, nameOf, ownerMentions, requireArgo, serviceConfig } from '../people.ts';
import { postInThread, publish } from '../publish.ts';
import type { Decision, Release } from '../stores/releaseStore.ts';

export const releaseId = z.coerce
  .number({ error: 'expected a release number such as 12' })
  .int({ error: 'expected a release number such as 12' })
  .min(1, { error: 'expected a release number such as 12' });

export const serviceArg = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a service name such as orders-api' });

export const applicationArg = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,252}$/, { error: 'expected an Argo CD application name such as orders-api' });

/** The release named, or the active one (open or shipping). */
export async function findRelease(services: ReleaseDeps, id: number | undefined): Promise<Release> {
  if (id !== undefined) {
    const release = await services.releases.get(id);
    if (!release) throw new NotFoundError(`there is no release #${id}; "release history" lists them`);
    return release;
  }
  const active = await services.releases.active();
  if (!active)
    throw new NotFoundError(
      'no release is in progress; "release start" begins one, "release history" lists past ones',
    );
  return active;
}

/** The release named, or the active one, or the latest. */
export async function findReleaseOrLatest(services: ReleaseDeps, id: number | undefined): Promise<Release> {
  if (id !== undefined) return findRelease(services, id);
  const active = await services.releases.active();
  if (active) return active;
  const [latest] = await services.releases.history(1);
  if (!latest) throw new NotFoundError('there has been no release yet; "release start" begins one');
  return latest;
}

/** Records an owner's (or a release manager's) decision on a service, for include and skip. */
export async function decide(
  args: { service: string; release?: number | undefined; reason?: string | undefined },
  decision: Exclude<Decision, 'pending'>,
  ctx: CommandContext<ReleaseDeps>,
): Promise<Message> {
  const services = ctx.deps;
  const svc = serviceConfig(services, args.service);
  const release = await findRelease(services, args.release);
  // The grant lets people press the button at all; who may decide for this service is ownership.
  if (!isOwner(svc, ctx.caller) && !isManager(services, ctx.caller))
    throw new NotAllowedError(
      `only the owners of ${svc.name} (${ownerMentions(svc)}) or the release managers (${services.config.release.managers ?? 'none configured'}) may decide whether it ships`,
    );
  if (release.status !== 'open')
    throw new ConflictError(
      `release #${release.id} is ${release.status}; decisions can change only while it is open`,
    );
  const snapshot = await services.releases.snapshot(release.id);
  if (!snapshot?.services.some((s) => s.service === svc.name))
    throw new ConflictError(`${svc.name} is not part of release #${release.id}`);
  const before = snapshot.confirmations.find((c) => c.service === svc.name);
  await services.releases.decide(release.id, svc.name, decision, ctx.caller.email, args.reason ?? null);
  await services.releases.updateService(release.id, svc.name, {
    shipStatus: decision === 'skip' ? 'skipped' : 'pending',
  });
  const fresh = await publish(services, release.id, [svc.name]);
  const verb = (d: Decision) => (d === 'include' ? 'included' : 'skipped');
  const changed =
    before && before.decision !== 'pending' && before.decision !== decision
      ? ` (it was ${verb(before.decision)} by ${before.decidedBy ? await nameOf(services, before.decidedBy) : 'someone'})`
      : '';
  const text = `${ctx.caller.name ?? ctx.caller.email} ${verb(decision)} ${svc.name} in release #${release.id}${args.reason ? `: ${args.reason}` : ''}${changed}.`;
  await postInThread(services, fresh, svc.name, noticeMessage(text, 'in_channel'));
  const pending = fresh.confirmations.filter((c) => c.decision === 'pending').map((c) => c.service);
  return noticeMessage(
    `${text} ${pending.length ? `Still to decide: ${pending.join(', ')}.` : 'Every service is decided: a release manager can ship.'}`,
  );
}

export const decideArgs = z.object({
  service: serviceArg,
  release: releaseId.optional(),
  reason: z.string().max(300).optional(),
});

/** The confirmation's warning when auto-sync is on, which a rollback turns off first. */
export const autoSyncNote = async (
  ctx: CommandContext<ReleaseDeps>,
  application: string,
): Promise<string[]> => {
  const app = await requireArgo(ctx.deps).get(application);
  return autoSyncEnabled(app)
    ? [
        `Auto-sync is on for ${application}: dpbot turns it off first (Argo CD refuses a rollback otherwise) and reminds until it is back on.`,
      ]
    : [];
};
