import { formatTime } from '../../core/time.ts';
import type { CommandContext } from '../../pipeline/defineCommand.ts';
import type { ScalingDeps } from './deps.ts';
import type { ScaleChangeDetail } from './stores/scaleStore.ts';

/** The audit outcomes of worker changes; `workers` reads the last `scaled` and `reverted` rows. */
export type ChangeOutcome = 'scaled' | 'reverted' | 'revert_skipped' | 'revert_failed';

/**
 * Writes the audit row of a change dpbot made (or could not make) to a team's workers: a `step`
 * of the request that made it, or an `event` of background work (a timed revert).
 */
export async function auditChange(
  services: ScalingDeps,
  row: {
    requestId: string;
    kind: 'step' | 'event';
    entry: string;
    email: string | null;
    slackUserId?: string | null;
    channel: string | null;
    outcome: ChangeOutcome;
    error?: string;
    reason?: string;
    detail: ScaleChangeDetail;
  },
): Promise<void> {
  await services.audit.append({
    requestId: row.requestId,
    kind: row.kind,
    entry: row.entry,
    email: row.email,
    slackUserId: row.slackUserId ?? null,
    channel: row.channel,
    command: 'scale',
    action: 'workers.scale',
    resource: `team:${row.detail.team}`,
    outcome: row.outcome,
    error: row.error ?? null,
    reason: row.reason ?? null,
    detail: row.detail,
  });
}

/**
 * The `scaled` step of the request that made a change, by the caller of that request. The change
 * is made when this runs, so a database that is away does not lose the row: it is held and
 * written when the database answers again, and the caller is told the change was made.
 */
export function auditScaled(ctx: CommandContext<ScalingDeps>, detail: ScaleChangeDetail): Promise<void> {
  const verb = detail.mode === 'hpaMinReplicas' ? 'set the HPA minimum of' : 'scaled';
  const made = `${verb} ${detail.team}/${detail.target} ${detail.from} → ${detail.to}`;
  // The timed revert is recorded in the same transaction as the change's lock: told only when the
  // database went away before it committed, when the revert may be lost with it.
  const revert = detail.revertAt
    ? ` (its revert at ${formatTime(new Date(detail.revertAt))} may not have been recorded: if \`workers ${detail.team}\` shows no pending revert, scale back by hand when it is due)`
    : '';
  return ctx.auditStep(
    { outcome: 'scaled', action: 'workers.scale', resource: `team:${detail.team}`, detail },
    { happened: true, summary: `${made}${revert}` },
  );
}
