import ms from 'ms';
import { z } from 'zod';

/** Parses `90s`, `10m`, `2h`, `1d`; returns milliseconds, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  if (!/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)$/i.test(text.trim())) return undefined;
  const value = ms(text.trim() as ms.StringValue);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

export function formatDuration(milliseconds: number): string {
  return ms(milliseconds, { long: false });
}

/** A duration written as `10m`, `2h`, ...; the parsed value is in milliseconds. */
export const duration = (what = 'a duration such as 90s, 10m, 2h or 1d') =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : parseDuration(value);
    if (parsed === undefined || parsed <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    return parsed;
  });
