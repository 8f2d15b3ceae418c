import { parseDuration } from './config/duration.ts';
import { InputError } from './errors.ts';

/**
 * `7d` (that long ago), `2026-11-01` (midnight UTC) or a full ISO timestamp. Used by `audit` and
 * `dpbot audit export --since`.
 */
export function parseSince(text: string, now: Date): Date {
  const ago = parseDuration(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    if (!Number.isNaN(day.getTime())) return day;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    const at = new Date(text);
    if (!Number.isNaN(at.getTime())) return at;
  }
  throw new InputError(
    `"${text}" is not a time: use a duration such as 7d or 24h, or a date such as 2026-11-01`,
  );
}

/** `2026-11-21 14:05 UTC`: what people read in Slack and in the console. */
export function formatTime(at: Date): string {
  return `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
