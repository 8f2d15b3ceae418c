import { parseDuration } from '../../core/config/duration.ts';
import type { TaskConfig } from '../tasks/config.ts';

const DAY = 86_400_000;

/** The calendar day of `at` in `timeZone`, as YYYY-MM-DD. */
export function dayIn(at: Date, timeZone: string): string {
  // en-CA writes dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at);
}

function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
}

/** The days a late dataset misses: from the day after its last update to today, in `timeZone`. */
export function missingDays(lastUpdated: Date, now: Date, timeZone: string): { from: string; to: string } {
  const today = dayIn(now, timeZone);
  const from = addDays(dayIn(lastUpdated, timeZone), 1);
  // Updated earlier today but late already (an hourly SLA): today is what needs loading again.
  return { from: from > today ? today : from, to: today };
}

export type BackfillRange =
  | {
      ok: true;
      from: string;
      to: string;
      /** The days missing, before the task's limits. */
      missing: { from: string; to: string };
      /** What the limits changed, in words for the form; empty when the whole range fits. */
      notes: string[];
    }
  | { ok: false; problem: string };

/**
 * The missing days fitted to the backfill task's limits: the date parameters' min and max, and the
 * range's maxSpan. A range longer than maxSpan keeps its most recent days (the data people read
 * first), and the notes say which days are left for another run.
 */
export function backfillRange(
  task: Pick<TaskConfig, 'name' | 'parameters' | 'ranges'>,
  names: { from: string; to: string },
  missing: { from: string; to: string },
): BackfillRange {
  const fromParam = task.parameters.find((p) => p.name === names.from);
  const toParam = task.parameters.find((p) => p.name === names.to);
  for (const [name, p] of [
    [names.from, fromParam],
    [names.to, toParam],
  ] as const) {
    if (!p)
      return {
        ok: false,
        problem: `task ${task.name} has no parameter "${name}" (datasets.lateAlerts.backfill names it)`,
      };
    if (p.type !== 'date')
      return {
        ok: false,
        problem: `parameter ${name} of task ${task.name} is not a date, so the missing days cannot go in it (datasets.lateAlerts.backfill)`,
      };
  }
  const notes: string[] = [];
  let { from, to } = missing;
  const toMax = toParam?.max === undefined ? undefined : String(toParam.max);
  const fromMin = fromParam?.min === undefined ? undefined : String(fromParam.min);
  if (toMax !== undefined && to > toMax) {
    to = toMax;
    notes.push(`${task.name} takes days up to ${toMax} only`);
  }
  if (fromMin !== undefined && from < fromMin) {
    from = fromMin;
    notes.push(`${task.name} takes days from ${fromMin} only`);
  }
  if (from > to)
    return {
      ok: false,
      problem: `the missing days (${missing.from} to ${missing.to}) are outside what ${task.name} takes`,
    };
  const range = task.ranges.find((r) => r.from === names.from && r.to === names.to);
  const span = range?.maxSpan === undefined ? undefined : parseDuration(String(range.maxSpan));
  if (span !== undefined) {
    const maxDays = Math.floor(span / DAY);
    if (daysBetween(from, to) > maxDays) {
      const start = addDays(to, -maxDays);
      notes.push(
        `${from} to ${to} is longer than ${task.name} takes at once (${names.from} and ${names.to} at most ${range?.maxSpan} apart), so this form backfills the most recent days, ${start} to ${to}; run it again for ${from} to ${addDays(start, -1)}`,
      );
      from = start;
    }
  }
  return { ok: true, from, to, missing, notes };
}
