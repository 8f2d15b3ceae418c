import { z } from 'zod';
import { ConflictError } from '../../../core/errors.ts';
import { formatTime } from '../../../core/time.ts';
import { defineCommand } from '../deps.ts';
import { describeFreeze } from '../describe.ts';
import { activeFreezes, announceChange } from '../gate.ts';
import { freezeNotice } from '../views.ts';
import { freezeResource, serviceList, servicesNamed, serviceWords } from './common.ts';

export const unfreeze = defineCommand({
  name: 'unfreeze',
  summary: 'Lift ad hoc deploy freezes early (all of them, or those of some services)',
  usage: 'unfreeze [service…|all]',
  examples: ['unfreeze orders-api', 'unfreeze'],
  description:
    'Lifts freezes set with "freeze"; who lifted them is recorded. A freeze of all services is lifted only by "unfreeze" or "unfreeze all". Configured windows (freezes.windows) end on their own.',
  params: { positionals: ['services...'] },
  args: z
    .object({ services: serviceWords.optional() })
    .transform((a) => ({ services: serviceList(a.services ?? []) })),
  action: 'release.freeze',
  resourceKinds: ['service'],
  resource: (a) => freezeResource(a.services),
  names: (a, ctx) => servicesNamed(ctx.deps, a.services),
  run: async (a, ctx) => {
    const deps = ctx.deps;
    const now = deps.now();
    const stored = await deps.freezes.active(now);
    const lifted: number[] = [];
    const narrowed: { id: number; services: string[] }[] = [];
    const kept: string[] = [];
    for (const f of stored) {
      if (
        a.services.length === 0 ||
        (f.services.length > 0 && f.services.every((s) => a.services.includes(s)))
      ) {
        if (await deps.freezes.lift(f.id, ctx.caller.email, now)) lifted.push(f.id);
      } else if (f.services.length === 0) {
        kept.push(`freeze #${f.id} covers all services: "unfreeze all" lifts it`);
      } else if (f.services.some((s) => a.services.includes(s))) {
        const rest = f.services.filter((s) => !a.services.includes(s));
        if (await deps.freezes.narrow(f.id, rest)) narrowed.push({ id: f.id, services: rest });
      }
    }
    const scope = a.services.length ? a.services : undefined;
    const remaining = (await activeFreezes(deps, scope)).map(
      (f) =>
        `${describeFreeze(f)}${f.kind === 'window' ? ' (configured in freezes.windows: it ends on its own)' : ''}`,
    );
    if (lifted.length === 0 && narrowed.length === 0)
      throw new ConflictError(
        [`no ad hoc freeze ${scope ? `of ${scope.join(', ')} ` : ''}to lift`, ...kept, ...remaining].join(
          '; ',
        ),
      );
    await ctx.auditStep({
      outcome: 'unfrozen',
      action: 'release.freeze',
      resource: freezeResource(a.services),
      detail: { lifted, narrowed, liftedBy: ctx.caller.email, at: now.toISOString() },
    });
    await announceChange(deps);
    const parts = [
      lifted.length ? `lifted ${lifted.map((id) => `freeze #${id}`).join(', ')}` : '',
      ...narrowed.map((n) => `freeze #${n.id} now covers only ${n.services.join(', ')}`),
    ].filter(Boolean);
    const still = [...kept, ...remaining];
    return freezeNotice(
      `${ctx.caller.name ?? ctx.caller.email} ${parts.join('; ')} at ${formatTime(now)}.${still.length ? ` Still frozen: ${still.join('; ')}.` : ` ${scope ? `Deploys of ${scope.join(', ')}` : 'Deploys'} may go ahead.`}`,
    );
  },
});
