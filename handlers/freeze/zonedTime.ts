import { Cron } from 'croner';
import { parseDuration } from '../../core/config/duration.ts';
import { InputError } from '../../core/errors.ts';

/** `friday 16:00` (weekly) or `16:00` (daily): the wall-clock times a recurring window opens and closes. */
export const RECURRING = /^(?:([a-z]+)\s+)?([01]?\d|2[0-3]):([0-5]\d)$/i;
/** `2026-12-24T18:00`, with seconds or a zone offset if wanted: a dated window's ends. */
export const DATED = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const FULL_DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** The weekday (0 = Sunday) a recurring end names, undefined for a daily one, or null when it names none. */
export function weekdayOf(text: string): number | undefined | null {
  const m = RECURRING.exec(text.trim());
  if (!m) return null;
  if (!m[1]) return undefined;
  const word = m[1].toLowerCase();
  const day = Math.max(WEEKDAYS.indexOf(word), FULL_DAYS.indexOf(word));
  return day === -1 ? null : day;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** How far `zone`'s wall clock is ahead of UTC at `at`, in milliseconds (Intl knows the zone's rules, DST included). */
function offsetMs(at: number, zone: string): number {
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, format);
  }
  const part = (parts: Intl.DateTimeFormatPart[], type: string) =>
    Number(parts.find((p) => p.type === type)?.value ?? 0);
  const parts = format.formatToParts(new Date(at));
  const wall = Date.UTC(
    part(parts, 'year'),
    part(parts, 'month') - 1,
    part(parts, 'day'),
    part(parts, 'hour'),
    part(parts, 'minute'),
    part(parts, 'second'),
  );
  return wall - Math.floor(at / 1000) * 1000;
}

/**
 * The instant a wall-clock time in `zone` names. A time skipped by a spring-forward change is
 * taken an hour later (as the clock reads after the jump); a time that happens twice in autumn
 * is the first of the two.
 */
export function zonedInstant(
  parts: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  zone: string,
): Date {
  const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second ?? 0);
  // The offset before the change first: for a doubled hour that is the earlier instant.
  const before = offsetMs(wall - 86_400_000, zone);
  const after = offsetMs(wall + 86_400_000, zone);
  for (const offset of [before, after])
    if (offsetMs(wall - offset, zone) === offset) return new Date(wall - offset);
  // Skipped: the wall time does not exist; the clock jumped past it.
  return new Date(wall - before);
}

/** A date-time as configured or typed: with an offset (`Z`, `+01:00`) as written, without one in `zone`. */
export function parseDateTime(text: string, zone: string): Date | undefined {
  const t = text.trim();
  if (!DATED.test(t)) return undefined;
  const iso = t.replace(' ', 'T');
  if (/(Z|[+-]\d{2}:?\d{2})$/i.test(iso)) {
    const at = new Date(iso);
    return Number.isNaN(at.getTime()) ? undefined : at;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(iso);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1).map((x) => Number(x ?? 0)) as number[];
  const check = new Date(Date.UTC(year ?? 0, (month ?? 1) - 1, day ?? 1));
  // 2026-02-30 is no day; Date would roll it into March.
  if (check.getUTCMonth() !== (month ?? 1) - 1 || (hour ?? 0) > 23 || (minute ?? 0) > 59) return undefined;
  return zonedInstant(
    {
      year: year ?? 0,
      month: month ?? 1,
      day: day ?? 1,
      hour: hour ?? 0,
      minute: minute ?? 0,
      second: second ?? 0,
    },
    zone,
  );
}

/**
 * The first time after `after` that the wall clock in `zone` reads `friday 16:00` (or `16:00`,
 * daily). croner finds it with the zone's rules, so a window's end stays 09:00 local across a DST
 * change.
 */
export function nextWallTime(text: string, zone: string, after: Date): Date {
  const m = RECURRING.exec(text.trim());
  const day = weekdayOf(text);
  if (!m || day === null) throw new Error(`not a recurring time: ${text}`);
  const pattern = `${Number(m[3])} ${Number(m[2])} * * ${day === undefined ? '*' : day}`;
  const next = new Cron(pattern, { timezone: zone, paused: true }).nextRun(after);
  if (!next) throw new Error(`no next time for ${text}`);
  return next;
}

const UNTIL_HINT =
  'use a duration (2h, 3d), a time today or tomorrow (18:00), a weekday and time (monday 09:00) or a date-time (2026-12-24T09:00)';

/**
 * The end of an ad hoc freeze as typed: `2h`, `18:00` (next time the clock reads it), `monday
 * 09:00`, `tomorrow 09:00` or a date-time; times without a zone are in `zone`. A time that has
 * passed is refused, with what to type instead.
 */
export function parseUntil(text: string, zone: string, now: Date): Date {
  const t = text.trim().toLowerCase();
  if (!t) throw new InputError(`say until when: ${UNTIL_HINT}`);
  let at: Date | undefined;
  const ago = parseDuration(t);
  if (ago !== undefined) at = new Date(now.getTime() + ago);
  else if (DATED.test(text.trim())) {
    at = parseDateTime(text.trim(), zone);
    if (!at) throw new InputError(`"${text}" is not a date-time there is: ${UNTIL_HINT}`);
    if (at.getTime() <= now.getTime())
      throw new InputError(
        `${text} has already passed (it is now ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC): give a time in the future`,
      );
  } else if (t.startsWith('tomorrow ') && RECURRING.test(t.slice(9)) && weekdayOf(t.slice(9)) === undefined) {
    const first = nextWallTime(t.slice(9), zone, now);
    // The clock's next reading of that time is today or tomorrow; tomorrow's is wanted.
    const todayInZone = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(now);
    at =
      new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(first) === todayInZone
        ? nextWallTime(t.slice(9), zone, first)
        : first;
  } else if (RECURRING.test(t) && weekdayOf(t) !== null) at = nextWallTime(t, zone, now);
  if (!at) throw new InputError(`"${text}" is not a time: ${UNTIL_HINT}`);
  return at;
}
