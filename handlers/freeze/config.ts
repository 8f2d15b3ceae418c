import { z } from 'zod';
import { DATED, parseDateTime, RECURRING, weekdayOf } from './zonedTime.ts';

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const timeZone = z
  .string()
  .min(1)
  .refine(validZone, { error: 'expected an IANA time zone such as Europe/Berlin or UTC' });

/**
 * One end of a window. YAML may hand a date-time over as a Date (timestamps of YAML 1.1); it is
 * taken back as the text it was, in UTC.
 */
const windowEnd = z.preprocess(
  (v) => (v instanceof Date ? v.toISOString() : v),
  z.string({ error: 'expected a time such as "friday 16:00", "22:00" or 2026-12-24T18:00' }).trim(),
);

const serviceName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a service name such as orders-api' });

const windowSchema = z
  .strictObject({
    /** Shown in messages and the audit log: `weekend`, `christmas`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { error: 'expected a short name such as weekend' }),
    /** `friday 16:00` / `22:00` (recurring) or `2026-12-24T18:00` (dated), in `timezone`. */
    from: windowEnd,
    to: windowEnd,
    /** Why: told to whoever tries to ship. */
    reason: z.string().min(1, { error: 'say why, as people trying to ship will read it' }).max(300),
    /** The services frozen; left out, all of them. */
    services: z.array(serviceName).min(1).optional(),
    /** The zone of `from` and `to`; the freezes' own by default. */
    timezone: timeZone.optional(),
  })
  .superRefine((w, ctx) => {
    for (const end of ['from', 'to'] as const) {
      const text = w[end];
      if (!RECURRING.test(text) && !DATED.test(text)) {
        ctx.addIssue({
          code: 'custom',
          path: [end],
          message: `"${text}" is not a window end: use a weekday and time ("friday 16:00"), a daily time ("22:00") or a date-time (2026-12-24T18:00)`,
        });
        return;
      }
      if (RECURRING.test(text) && weekdayOf(text) === null)
        ctx.addIssue({
          code: 'custom',
          path: [end],
          message: `"${text}" names no weekday: use monday … sunday or mon … sun`,
        });
    }
    const dated = DATED.test(w.from);
    if (dated !== DATED.test(w.to)) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'from and to must be alike: both date-times (a holiday) or both recurring times',
      });
      return;
    }
    if (dated) {
      const zone = w.timezone && validZone(w.timezone) ? w.timezone : 'UTC';
      const from = parseDateTime(w.from, zone);
      const to = parseDateTime(w.to, zone);
      if (!from || !to)
        ctx.addIssue({
          code: 'custom',
          path: [from ? 'to' : 'from'],
          message: `"${from ? w.to : w.from}" is no date there is (check the month and day)`,
        });
      else if (to.getTime() <= from.getTime())
        ctx.addIssue({
          code: 'custom',
          path: ['to'],
          message: `to (${w.to}) must come after from (${w.from})`,
        });
      return;
    }
    const daily = (t: string) => weekdayOf(t) === undefined;
    if (daily(w.from) !== daily(w.to))
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message:
          'from and to must both name a weekday ("friday 16:00" to "monday 09:00") or neither ("22:00" to "06:00")',
      });
    else if (w.from.toLowerCase().replace(/\s+/g, ' ') === w.to.toLowerCase().replace(/\s+/g, ' '))
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'to must differ from from: the window would be empty',
      });
  });
export type FreezeWindowConfig = z.output<typeof windowSchema>;

function section<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => (value === null || value === undefined ? {} : value), schema);
}

/** The `freezes` section: windows when dpbot deploys nothing, and what a freeze blocks. */
export const freezesSchema = section(
  z
    .strictObject({
      /** The zone of the windows and of times typed without one (`/dp freeze all until 18:00`). */
      timezone: timeZone.default('UTC'),
      /** Rollbacks are recovery and stay allowed during a freeze, unless this is true. */
      blockRollbacks: z.boolean().default(false),
      windows: z.array(windowSchema).default([]),
    })
    .superRefine((f, ctx) => {
      const seen = new Set<string>();
      f.windows.forEach((w, i) => {
        if (seen.has(w.name))
          ctx.addIssue({
            code: 'custom',
            path: ['windows', i, 'name'],
            message: `"${w.name}" is used twice`,
          });
        seen.add(w.name);
      });
    }),
);
export type FreezesConfig = z.output<typeof freezesSchema>;
