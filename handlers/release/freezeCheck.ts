import { ConflictError, InputError } from '../../core/errors.ts';
import { formatTime } from '../../core/time.ts';
import type { SyncWindows } from '../../integrations/argocd/argoCdClient.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import { type Approval, decide } from '../../policies/decide.ts';
import { type ActiveFreeze, describeFreeze, SHIP_FROZEN_ACTION } from '../freeze/index.ts';
import type { ReleaseDeps } from './deps.ts';
import { requireArgo } from './people.ts';

/** The resource the freeze exception is granted on, as for release ship. */
const FROZEN_RESOURCE = 'release:weekly';

/** The freezes a deploy goes through: none, or those in force with the caller's reason to go ahead. */
export interface FreezePass {
  freezes: ActiveFreeze[];
  /** The reason given for going through them (release.ship.frozen); undefined when nothing is frozen. */
  reason?: string;
}

/**
 * Refuses a deploy of `services` during a freeze, saying who froze, why and until when; someone
 * holding release.ship.frozen goes ahead, but only with a reason. Called before the confirmation
 * (so nobody is asked to confirm what would be refused) and again when the deploy runs (a freeze
 * set while the question waited counts).
 */
export async function passFreezes(
  ctx: CommandContext<ReleaseDeps>,
  services: readonly string[],
  reason: string | undefined,
  what: { verb: string; retry: string },
): Promise<FreezePass> {
  const gate = ctx.deps.freezeGate;
  if (!gate) return { freezes: [] };
  const freezes = await gate.active(services);
  if (freezes.length === 0) return { freezes: [] };
  const said = freezes.map(describeFreeze).join('; ');
  if (!ctx.may(SHIP_FROZEN_ACTION, FROZEN_RESOURCE)) {
    const end = new Date(Math.max(...freezes.map((f) => f.until.getTime())));
    throw new ConflictError(
      `${said}. Nothing was ${what.verb}. Try again after ${formatTime(end)}, or ask someone who holds ${SHIP_FROZEN_ACTION} (a release manager) to ${what.retry} with a reason.`,
    );
  }
  const given = reason?.trim();
  if (!given)
    throw new InputError(
      `${said}. You hold ${SHIP_FROZEN_ACTION} and may go ahead as an exception, with a reason: add --reason "why this cannot wait"`,
      undefined,
      { reason: 'a deploy during a freeze needs a reason' },
    );
  return { freezes, reason: given };
}

/** The exception's two-person rule: the approval the release.ship.frozen grant asks for, if any. */
export function freezeApproval(ctx: CommandContext<ReleaseDeps>, pass: FreezePass): Approval | null {
  if (pass.freezes.length === 0) return null;
  const decision = decide(ctx.caller.grants, { action: SHIP_FROZEN_ACTION, resource: FROZEN_RESOURCE });
  return decision.allowed ? decision.approval : null;
}

/** The confirmation's lines about the freeze the caller ships through. */
export const freezeDetails = (pass: FreezePass): string[] =>
  pass.freezes.length === 0
    ? []
    : [
        ...pass.freezes.map((f) => `❄️ ${describeFreeze(f)}`),
        `You go ahead as an exception (${SHIP_FROZEN_ACTION}): ${pass.reason}. The reason is recorded in the audit log.`,
      ];

/** Records, before the deploy, that it goes through a freeze and why. */
export async function auditFreezeException(
  ctx: CommandContext<ReleaseDeps>,
  pass: FreezePass,
): Promise<void> {
  if (pass.freezes.length === 0) return;
  await ctx.auditStep({
    outcome: 'freeze_exception',
    action: SHIP_FROZEN_ACTION,
    resource: FROZEN_RESOURCE,
    detail: {
      reason: pass.reason,
      freezes: pass.freezes.map((f) => ({
        freeze: f.label,
        by: f.by,
        reason: f.reason,
        until: f.until.toISOString(),
      })),
    },
  });
}

const windowText = (w: NonNullable<SyncWindows['activeWindows']>[number]) =>
  `${w.kind ?? '?'} window "${w.schedule ?? '?'}" for ${w.duration ?? '?'}${w.manualSync ? ' (manual sync allowed)' : ''}`;

/**
 * Argo CD's own sync windows: an application whose project's windows block a sync now (canSync
 * false) is named with the window before anyone confirms, since Argo CD would refuse the sync.
 * Argo CD not answering is no reason to refuse: the ship itself will say.
 */
export async function closedSyncWindows(
  deps: ReleaseDeps,
  applications: readonly string[],
): Promise<string[]> {
  const argocd = requireArgo(deps);
  const closed: string[] = [];
  for (const application of applications) {
    let windows: SyncWindows;
    try {
      windows = await argocd.syncWindows(application);
    } catch (error) {
      deps.log.warn({ err: error, application }, 'could not read the sync windows');
      continue;
    }
    if (windows.canSync !== false) continue;
    const active = (windows.activeWindows ?? []).filter((w) => w.kind === 'deny');
    const why = active.length
      ? `inside ${active.map(windowText).join(', ')}`
      : `outside every allow window (${(windows.assignedWindows ?? [])
          .filter((w) => w.kind === 'allow')
          .map(windowText)
          .join(', ')})`;
    closed.push(`${application}: Argo CD's sync windows block a sync now, ${why}`);
  }
  return closed;
}

/** Refuses a ship into a closed Argo CD sync window, naming each application and window. */
export async function refuseClosedSyncWindows(
  deps: ReleaseDeps,
  applications: readonly string[],
): Promise<void> {
  const closed = await closedSyncWindows(deps, applications);
  if (closed.length)
    throw new ConflictError(
      `${closed.join('; ')}. Nothing was shipped: ship when the window opens, or change the window in the Argo CD project.`,
    );
}

/** A rollback is recovery and goes ahead during a freeze, unless freezes.blockRollbacks says otherwise. */
export async function passFreezesForRollback(
  ctx: CommandContext<ReleaseDeps>,
  service: string,
  reason: string | undefined,
): Promise<FreezePass> {
  if (!ctx.deps.freezeGate?.blockRollbacks) return { freezes: [] };
  return passFreezes(ctx, [service], reason, { verb: 'rolled back', retry: 'roll it back' });
}

/**
 * The freezes covering a release's services, for its message; a freeze that cannot be read is
 * left out of the message (the ship asks again and refuses).
 */
export async function releaseFreezes(
  deps: ReleaseDeps,
  snapshot: { services: readonly { service: string }[] },
): Promise<ActiveFreeze[]> {
  if (!deps.freezeGate || snapshot.services.length === 0) return [];
  try {
    return await deps.freezeGate.active(snapshot.services.map((s) => s.service));
  } catch (error) {
    deps.log.warn({ err: error }, 'could not read the deploy freezes');
    return [];
  }
}
