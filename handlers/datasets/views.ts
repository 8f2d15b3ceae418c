import { Cron } from 'croner';
import { formatTime } from '../../core/time.ts';
import type { DatasetRow } from './datasetService.ts';
import type { DatasetStatus, StatusCode } from './datasetStatus.ts';
import { ago, humanDuration } from './humanDuration.ts';
import type { CronRun, ProducerState } from './types.ts';

export const STATUS_ICON: Record<StatusCode, string> = {
  failed: '🔴',
  late: '🟠',
  unknown: '⚪',
  ok: '🟢',
};

const RUN_ICON: Record<CronRun['phase'], string> = {
  Succeeded: '✅',
  Failed: '❌',
  Error: '❌',
  Running: '⏳',
  Pending: '⏳',
  Unknown: '❔',
};

/** One line saying why a dataset has its status: what is wrong, and for how long. */
export function describeStatus(row: DatasetRow, now: Date): string {
  const s: DatasetStatus = row.status;
  const sla = row.catalog?.freshnessSlaMs;
  const updated = s.freshAt ? `updated ${ago(now, s.freshAt)}` : null;
  const lateBy = s.lateByMs !== null ? `late by ${humanDuration(s.lateByMs)}` : null;
  const running = s.running ? 'a run is in progress' : null;
  const join = (...parts: (string | null)[]) => parts.filter(Boolean).join('; ');
  switch (s.cause) {
    case 'submission-error':
      return join(`cannot start runs: ${row.producer?.submissionError ?? 'submission error'}`, lateBy);
    case 'run-failed': {
      const run = s.lastFinished;
      const when = run?.finishedAt ? ` ${ago(now, run.finishedAt)}` : '';
      return join(`last run ${run?.phase === 'Error' ? 'errored' : 'failed'}${when}`, lateBy, running);
    }
    case 'past-sla':
      return join(
        `${lateBy} (${updated ?? 'never updated'}, SLA ${sla ? humanDuration(sla) : '?'})`,
        running,
      );
    case 'within-sla':
      return `${updated}, within its ${sla ? humanDuration(sla) : '?'} SLA`;
    case 'last-run-succeeded': {
      const at = s.lastFinished?.finishedAt;
      return `last run succeeded${at ? ` ${ago(now, at)}` : ''} (no freshness SLA in the catalog)`;
    }
    case 'producer-missing':
      return `CronWorkflow ${row.producerRef?.namespace}/${row.producerRef?.cronWorkflow} not found in Argo Workflows`;
    case 'no-information':
      return row.catalog
        ? 'nothing to judge by: no freshness SLA or last-updated time, and no producer run'
        : 'nothing to judge by: not in the catalog read, and no producer run';
  }
}

export function runLine(run: CronRun, now: Date): string {
  const started = run.startedAt ? `started ${formatTime(run.startedAt)}` : 'not started';
  const took =
    run.startedAt && run.finishedAt
      ? `took ${humanDuration(run.finishedAt.getTime() - run.startedAt.getTime())}`
      : run.startedAt
        ? `running for ${humanDuration(now.getTime() - run.startedAt.getTime())}`
        : null;
  const message = run.message && run.phase !== 'Succeeded' ? ` — ${run.message.slice(0, 200)}` : '';
  return `${RUN_ICON[run.phase]} ${run.phase} · ${run.name} · ${[started, took].filter(Boolean).join(' · ')}${message}`;
}

/** `0 2 * * * (Europe/Berlin), next 2026-11-22 01:00 UTC`; Argo's robfig-style schedules. */
export function describeSchedule(
  producer: ProducerState,
  now: Date,
  code: (pattern: string) => string = (p) => p,
): string {
  if (producer.schedules.length === 0) return 'no schedule';
  const patterns = producer.schedules.map(code).join(', ');
  const zone = producer.timezone ? ` (${producer.timezone})` : ' (UTC)';
  if (producer.suspended) return `${patterns}${zone}, suspended`;
  const next = producer.schedules
    .map((pattern) => {
      try {
        return new Cron(pattern, { paused: true, timezone: producer.timezone ?? 'UTC' }).nextRun(now);
      } catch {
        // A pattern croner does not read (`@every 1h`) is still worth showing as written.
        return null;
      }
    })
    .filter((d): d is Date => d instanceof Date)
    .sort((a, b) => a.getTime() - b.getTime())[0];
  return `${patterns}${zone}${next ? `, next ${formatTime(next)}` : ''}`;
}
