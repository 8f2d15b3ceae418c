import { formatTime } from '../../core/time.ts';
import type { ActiveFreeze } from './windows.ts';

/** `all deploys` / `deploys of orders-api, ingest`. */
export const frozenWhat = (f: Pick<ActiveFreeze, 'services'>): string =>
  f.services.length === 0 ? 'all deploys' : `deploys of ${f.services.join(', ')}`;

const local = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-07 08:00 UTC (Mon 09:00 Europe/Berlin)`: UTC as everywhere in dpbot, and the freeze's own clock. */
export function untilText(until: Date, zone: string): string {
  if (zone === 'UTC') return formatTime(until);
  let format = local.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    local.set(zone, format);
  }
  return `${formatTime(until)} (${format.format(until).replace(',', '')} ${zone})`;
}

/**
 * One freeze in a sentence, with who froze it, why and until when: what a refused ship, the
 * release message and the App Home say.
 */
export function describeFreeze(f: ActiveFreeze): string {
  const what = frozenWhat(f);
  return `${what[0]?.toUpperCase()}${what.slice(1)} frozen (${f.label}) by ${f.by} until ${untilText(f.until, f.zone)}: ${f.reason}`;
}
