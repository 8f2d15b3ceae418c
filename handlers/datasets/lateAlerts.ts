import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../core/errors.ts';
import { quoteArg } from '../../pipeline/views/modal.ts';
import type { DatasetRow } from './datasetService.ts';
import type { DatasetsDeps, LateAlertDeps } from './deps.ts';
import { freshAgainMessage, lateAlertMessage } from './views.ts';

/** What one sweep did, for the log and the tests. */
export interface SweepResult {
  posted: number;
  resolved: number;
  failed: number;
}

/** Late in the sense of an alert: past the catalog's SLA, with the last-updated time that went stale. */
function lateness(row: DatasetRow): Date | null {
  if (!row.catalog || row.status.lateByMs === null) return null;
  return row.status.freshAt;
}

/** The command the Backfill button runs: the pipeline authorizes it as running the task. */
export function backfillCommand(dataset: string, task: string): string {
  return `backfill ${quoteArg(dataset)} task=${task}`;
}

async function audit(
  alerts: LateAlertDeps,
  input: { dataset: string; outcome: string; channel: string | null; key: string; detail: object },
): Promise<void> {
  try {
    await alerts.audit.append({
      requestId: randomUUID(),
      kind: 'event',
      entry: 'system',
      channel: input.channel,
      action: 'datasets.read',
      resource: `dataset:${input.dataset}`,
      outcome: input.outcome,
      detail: { dataset: input.dataset, ...input.detail },
      idempotencyKey: input.key,
    });
  } catch (error) {
    // The alert's row is the record that matters here; the audit row is its echo.
    alerts.log.warn(
      { err: error, dataset: input.dataset, outcome: input.outcome },
      'could not audit a late alert',
    );
  }
}

/**
 * One look at every dataset: an open alert whose data was refreshed since is edited in place (fresh
 * again, its buttons gone); a dataset past its SLA gets one alert per lateness in its team's channel
 * (datasets.lateAlerts.teamChannels, else .channel). Rows decide, not jobs: a sweep run twice, or
 * on two replicas at once, posts each lateness once.
 */
export async function sweepLateDatasets(deps: DatasetsDeps): Promise<SweepResult> {
  const result: SweepResult = { posted: 0, resolved: 0, failed: 0 };
  const config = deps.config.datasets.lateAlerts;
  const alerts = deps.lateAlerts;
  if (!config.enabled || !alerts || !deps.datasets) return result;
  let rows: DatasetRow[];
  try {
    rows = (await deps.datasets.overview()).rows;
  } catch (error) {
    alerts.log.warn({ err: error }, 'late datasets: the datasets could not be read; next sweep tries again');
    return result;
  }
  const byName = new Map(rows.map((r) => [r.name, r]));

  for (const open of await alerts.store.open()) {
    const row = byName.get(open.dataset);
    // Nothing read of it now says nothing new; the alert stays as it is.
    const freshAt = row?.catalog ? row.status.freshAt : null;
    if (!row || !freshAt || freshAt.getTime() <= open.lateSince.getTime()) continue;
    const lateAgain = lateness(row) !== null;
    try {
      const done = await alerts.store.resolve(open.id, freshAt, async (alert) => {
        if (!alert.channel || !alert.messageTs) return;
        await alerts.notifier.update(
          { channel: alert.channel, ts: alert.messageTs },
          freshAgainMessage({
            dataset: alert.dataset,
            lateSince: alert.lateSince,
            dueAt: alert.dueAt,
            freshAt,
            lateAgain,
          }),
        );
      });
      if (!done) continue;
      result.resolved += 1;
      await audit(alerts, {
        dataset: open.dataset,
        outcome: 'late_alert_resolved',
        channel: open.channel,
        key: `late-alert:${open.id}:resolved`,
        detail: { lateSince: open.lateSince.toISOString(), freshAt: freshAt.toISOString(), lateAgain },
      });
    } catch (error) {
      result.failed += 1;
      alerts.log.warn({ err: error, dataset: open.dataset }, 'late datasets: could not update an alert');
    }
  }

  for (const row of rows) {
    if (result.posted >= config.maxPerSweep) {
      alerts.log.warn(
        { maxPerSweep: config.maxPerSweep },
        'late datasets: more late datasets than one sweep alerts (datasets.lateAlerts.maxPerSweep); the next sweep goes on',
      );
      break;
    }
    const lateSince = lateness(row);
    if (!lateSince) continue;
    const team = row.catalog?.team ?? null;
    const channel = (team !== null ? config.teamChannels[team] : undefined) ?? config.channel;
    if (!channel) continue;
    try {
      const claimed = await alerts.store.claim(
        { dataset: row.name, lateSince, dueAt: row.status.dueAt, team },
        () =>
          alerts.notifier.post(
            channel,
            lateAlertMessage({
              row,
              now: deps.now(),
              backfillCommand: backfillCommand(row.name, config.backfill.task),
            }),
          ),
      );
      if (!claimed) continue;
      result.posted += 1;
      await audit(alerts, {
        dataset: row.name,
        outcome: 'late_alert_posted',
        channel: claimed.channel,
        key: `late-alert:${claimed.id}:posted`,
        detail: {
          lateSince: lateSince.toISOString(),
          dueAt: row.status.dueAt?.toISOString() ?? null,
          team,
          ts: claimed.messageTs,
        },
      });
    } catch (error) {
      result.failed += 1;
      alerts.log.warn(
        { err: error, dataset: row.name, channel, error: errorMessage(error) },
        'late datasets: could not post an alert; the next sweep tries again',
      );
    }
  }
  return result;
}
