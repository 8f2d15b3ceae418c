import { z } from 'zod';
import { ConflictError, NotAllowedError } from '../../../core/errors.ts';
import type { Decision } from '../../../db/stores/releaseStore.ts';
import type { CommandContext } from '../../../pipeline/defineCommand.ts';
import type { Message } from '../../../pipeline/message.ts';
import { noticeMessage } from '../../../pipeline/views/common.ts';
import { defineCommand, type ReleaseDeps } from '../deps.ts';
import { isManager, isOwner, ownerMentions, serviceConfig } from '../people.ts';
import { postInThread, publish } from '../publish.ts';
import { findRelease, releaseId, serviceArg } from './common.ts';

async function decide(
  args: { service: string; release?: number | undefined; reason?: string | undefined },
  decision: Exclude<Decision, 'pending'>,
  ctx: CommandContext<ReleaseDeps>,
): Promise<Message> {
  const services = ctx.services;
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
  const verb = decision === 'include' ? 'included' : 'skipped';
  const changed =
    before && before.decision !== 'pending' && before.decision !== decision
      ? ` (was ${before.decision} by ${before.decidedBy})`
      : '';
  const text = `${ctx.caller.email} ${verb} ${svc.name} in release #${release.id}${args.reason ? `: ${args.reason}` : ''}${changed}.`;
  await postInThread(services, fresh, svc.name, noticeMessage(text, 'in_channel'));
  const pending = fresh.confirmations.filter((c) => c.decision === 'pending').map((c) => c.service);
  return noticeMessage(
    `${text} ${pending.length ? `Still to decide: ${pending.join(', ')}.` : 'Every service is decided: a release manager can ship.'}`,
  );
}

const decideArgs = z.object({
  service: serviceArg,
  release: releaseId.optional(),
  reason: z.string().max(300).optional(),
});

export const releaseInclude = defineCommand({
  name: 'release include',
  summary: 'Confirm that a service ships in this release (its owners or a release manager)',
  usage: 'release include <service> [--release <id>]',
  examples: ['release include orders-api'],
  params: { positionals: ['service'], flags: { release: 'string', reason: 'string' } },
  args: decideArgs,
  action: 'release.confirm',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  run: (args, ctx) => decide(args, 'include', ctx),
});

export const releaseSkip = defineCommand({
  name: 'release skip',
  summary: 'Leave a service out of this release (its owners or a release manager)',
  usage: 'release skip <service> [--release <id>] [--reason <text>]',
  examples: ['release skip orders-api --reason "waiting for the migration"'],
  params: { positionals: ['service'], flags: { release: 'string', reason: 'string' } },
  args: decideArgs,
  action: 'release.confirm',
  resourceKinds: ['service'],
  resource: (a) => `service:${a.service}`,
  run: (args, ctx) => decide(args, 'skip', ctx),
});
