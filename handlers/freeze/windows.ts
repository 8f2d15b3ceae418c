import type { FreezesConfig, FreezeWindowConfig } from './config.ts';
import { DATED, nextWallTime, parseDateTime } from './zonedTime.ts';

/** A freeze in force: a configured window or one someone set with `/dp freeze`. */
export interface ActiveFreeze {
  /** `window weekend` or `freeze #12`: how messages and the audit log name it. */
  label: string;
  kind: 'window' | 'adhoc';
  /** The ad hoc freeze's row id. */
  id?: number;
  /** The services frozen; empty: all of them. */
  services: readonly string[];
  reason: string;
  /** Who froze: an e-mail, or `the configuration` for a window. */
  by: string;
  until: Date;
  /** When an ad hoc freeze was set (a window's start is its configuration's). */
  since?: Date;
  /** The zone its end is also told in (the window's, or freezes.timezone). */
  zone: string;
}

/** Whether the freeze covers a service. */
export const covers = (freeze: Pick<ActiveFreeze, 'services'>, service: string): boolean =>
  freeze.services.length === 0 || freeze.services.includes(service);

/**
 * The window's freeze when it is in force at `now`, with when it ends. A recurring window is in
 * force when its end comes before its next start (Friday 16:00 → Monday 09:00 across the weekend,
 * 22:00 → 06:00 across midnight); both are found on the zone's wall clock, so DST moves neither.
 */
export function windowFreeze(window: FreezeWindowConfig, zone: string, now: Date): ActiveFreeze | null {
  const tz = window.timezone ?? zone;
  let until: Date | undefined;
  if (DATED.test(window.from)) {
    const from = parseDateTime(window.from, tz);
    const to = parseDateTime(window.to, tz);
    if (from && to && from.getTime() <= now.getTime() && now.getTime() < to.getTime()) until = to;
  } else {
    const nextEnd = nextWallTime(window.to, tz, now);
    const nextStart = nextWallTime(window.from, tz, now);
    if (nextEnd.getTime() < nextStart.getTime()) until = nextEnd;
  }
  if (!until) return null;
  return {
    label: `window ${window.name}`,
    kind: 'window',
    services: window.services ?? [],
    reason: window.reason,
    by: 'the configuration',
    until,
    zone: tz,
  };
}

/** Every configured window in force at `now`. */
export function activeWindows(config: FreezesConfig, now: Date): ActiveFreeze[] {
  return config.windows.flatMap((w) => windowFreeze(w, config.timezone, now) ?? []);
}
