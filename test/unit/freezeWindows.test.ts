import { describe, expect, it } from 'vitest';
import { freezesSchema } from '../../handlers/freeze/config.ts';
import { activeWindows, windowFreeze } from '../../handlers/freeze/windows.ts';
import { parseDateTime, parseUntil, zonedInstant } from '../../handlers/freeze/zonedTime.ts';

const config = (windows: unknown[], extra: Record<string, unknown> = {}) =>
  freezesSchema.parse({ timezone: 'Europe/Berlin', windows, ...extra });

const weekend = config([
  { name: 'weekend', from: 'friday 16:00', to: 'monday 09:00', reason: 'No deploys over the weekend' },
]);
const at = (iso: string) => new Date(iso);
const frozen = (c: ReturnType<typeof config>, iso: string) => activeWindows(c, at(iso));

describe('recurring freeze windows, on the zone’s wall clock', () => {
  it('covers Friday 16:00 to Monday 09:00 Berlin time, across the weekend, and ends when it says', () => {
    // Friday 2026-12-04: Berlin is UTC+1.
    expect(frozen(weekend, '2026-12-04T14:59:59Z')).toEqual([]);
    const friday = frozen(weekend, '2026-12-04T15:00:00Z');
    expect(friday).toHaveLength(1);
    expect(friday[0]).toMatchObject({
      label: 'window weekend',
      kind: 'window',
      services: [],
      reason: 'No deploys over the weekend',
      by: 'the configuration',
    });
    expect(friday[0]?.until.toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(frozen(weekend, '2026-12-06T12:00:00Z')).toHaveLength(1);
    expect(frozen(weekend, '2026-12-07T07:59:59Z')).toHaveLength(1);
    expect(frozen(weekend, '2026-12-07T08:00:00Z')).toEqual([]);
    expect(frozen(weekend, '2026-12-09T12:00:00Z')).toEqual([]);
  });

  it('keeps 09:00 local across the spring DST change (the weekend it happens, Berlin goes to UTC+2)', () => {
    // Clocks go forward on Sunday 2026-03-29; Friday 16:00 was 15:00Z, Monday 09:00 is 07:00Z.
    expect(frozen(weekend, '2026-03-27T14:59:00Z')).toEqual([]);
    const started = frozen(weekend, '2026-03-27T15:00:00Z');
    expect(started[0]?.until.toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(frozen(weekend, '2026-03-30T06:59:00Z')).toHaveLength(1);
    // A fixed +1 offset would still call 07:30Z (08:30 in winter time) frozen.
    expect(frozen(weekend, '2026-03-30T07:30:00Z')).toEqual([]);
  });

  it('keeps 16:00 local across the autumn DST change', () => {
    // Clocks go back on Sunday 2026-10-25: Friday 16:00 is 14:00Z, Monday 09:00 is 08:00Z.
    expect(frozen(weekend, '2026-10-23T13:59:00Z')).toEqual([]);
    expect(frozen(weekend, '2026-10-23T14:00:00Z')[0]?.until.toISOString()).toBe('2026-10-26T08:00:00.000Z');
    expect(frozen(weekend, '2026-10-26T07:59:00Z')).toHaveLength(1);
    expect(frozen(weekend, '2026-10-26T08:00:00Z')).toEqual([]);
  });

  it('covers a daily window across midnight, in its own zone', () => {
    const nightly = config([
      {
        name: 'nightly',
        from: '22:00',
        to: '06:00',
        reason: 'batch jobs',
        timezone: 'America/New_York',
        services: ['ingest'],
      },
    ]);
    // New York is UTC−5 in December: 22:00 is 03:00Z, 06:00 is 11:00Z.
    expect(frozen(nightly, '2026-12-08T02:59:00Z')).toEqual([]);
    const night = frozen(nightly, '2026-12-08T03:00:00Z');
    expect(night[0]?.services).toEqual(['ingest']);
    expect(night[0]?.until.toISOString()).toBe('2026-12-08T11:00:00.000Z');
    expect(frozen(nightly, '2026-12-08T10:59:00Z')).toHaveLength(1);
    expect(frozen(nightly, '2026-12-08T11:00:00Z')).toEqual([]);
    expect(frozen(nightly, '2026-12-08T18:00:00Z')).toEqual([]);
  });
});

describe('dated freeze windows', () => {
  const holiday = config([
    { name: 'christmas', from: '2026-12-24T00:00', to: '2026-12-27T09:00', reason: 'holidays' },
  ]);
  it('covers from its start to its end, read in the freezes’ zone', () => {
    expect(frozen(holiday, '2026-12-23T22:59:59Z')).toEqual([]);
    expect(frozen(holiday, '2026-12-23T23:00:00Z')[0]?.until.toISOString()).toBe('2026-12-27T08:00:00.000Z');
    expect(frozen(holiday, '2026-12-27T08:00:00Z')).toEqual([]);
  });

  it('honours an offset written into the date-time', () => {
    const w = config([{ name: 'x', from: '2026-12-24T00:00Z', to: '2026-12-25T00:00+01:00', reason: 'r' }]);
    const window = w.windows[0];
    if (!window) throw new Error('no window');
    expect(windowFreeze(window, 'UTC', at('2026-12-24T22:59:00Z'))).not.toBeNull();
    expect(windowFreeze(window, 'UTC', at('2026-12-24T23:00:00Z'))).toBeNull();
  });
});

describe('the configuration is checked with messages that say what to write', () => {
  const problems = (windows: unknown[], extra: Record<string, unknown> = {}) => {
    const parsed = freezesSchema.safeParse({ windows, ...extra });
    return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };
  it('refuses ends that are no time, mixed kinds, reversed dates, an unknown zone and a missing reason', () => {
    expect(problems([{ name: 'a', from: 'fryday 16:00', to: 'monday 09:00', reason: 'r' }])).toEqual([
      'windows.0.from: "fryday 16:00" names no weekday: use monday … sunday or mon … sun',
    ]);
    expect(problems([{ name: 'a', from: 'soon', to: 'monday 09:00', reason: 'r' }])[0]).toContain(
      'use a weekday and time ("friday 16:00"), a daily time ("22:00") or a date-time',
    );
    expect(problems([{ name: 'a', from: 'friday 16:00', to: '2026-12-27T09:00', reason: 'r' }])).toEqual([
      'windows.0.to: from and to must be alike: both date-times (a holiday) or both recurring times',
    ]);
    expect(problems([{ name: 'a', from: 'friday 16:00', to: '09:00', reason: 'r' }])[0]).toContain(
      'must both name a weekday',
    );
    expect(problems([{ name: 'a', from: '2026-12-27T09:00', to: '2026-12-24T00:00', reason: 'r' }])).toEqual([
      'windows.0.to: to (2026-12-24T00:00) must come after from (2026-12-27T09:00)',
    ]);
    expect(problems([], { timezone: 'Mars/Olympus' })).toEqual([
      'timezone: expected an IANA time zone such as Europe/Berlin or UTC',
    ]);
    expect(problems([{ name: 'a', from: '22:00', to: '06:00' }])[0]).toMatch(/^windows\.0\.reason: /);
    expect(
      problems([
        { name: 'a', from: '22:00', to: '06:00', reason: 'r' },
        { name: 'a', from: '23:00', to: '06:00', reason: 'r' },
      ]),
    ).toEqual(['windows.1.name: "a" is used twice']);
  });

  it('takes a YAML timestamp (a Date) as the UTC time it names', () => {
    const c = freezesSchema.parse({
      windows: [
        {
          name: 'h',
          from: new Date('2026-12-24T00:00:00Z'),
          to: new Date('2026-12-26T00:00:00Z'),
          reason: 'r',
        },
      ],
    });
    expect(activeWindows(c, at('2026-12-25T00:00:00Z'))).toHaveLength(1);
  });
});

describe('the time a freeze is set until', () => {
  const now = at('2026-12-04T10:00:00Z'); // Friday 11:00 in Berlin
  const until = (text: string) => parseUntil(text, 'Europe/Berlin', now).toISOString();
  it('reads durations, clock times, weekdays, tomorrow and date-times in the zone', () => {
    expect(until('2h')).toBe('2026-12-04T12:00:00.000Z');
    expect(until('18:00')).toBe('2026-12-04T17:00:00.000Z');
    expect(until('09:00')).toBe('2026-12-05T08:00:00.000Z');
    expect(until('monday 09:00')).toBe('2026-12-07T08:00:00.000Z');
    expect(until('Mon 09:00')).toBe('2026-12-07T08:00:00.000Z');
    expect(until('tomorrow 18:00')).toBe('2026-12-05T17:00:00.000Z');
    expect(until('2026-12-24T09:00')).toBe('2026-12-24T08:00:00.000Z');
    expect(until('2026-12-24T09:00Z')).toBe('2026-12-24T09:00:00.000Z');
  });
  it('refuses a past time and what is no time, saying what to type', () => {
    expect(() => until('2026-12-01T09:00')).toThrow(/has already passed .* give a time in the future/);
    expect(() => until('next week')).toThrow(/use a duration \(2h, 3d\), a time today or tomorrow \(18:00\)/);
    expect(() => until('2026-02-30T09:00')).toThrow(/is not a date-time there is/);
  });
  it('places a wall time skipped by spring-forward after the jump', () => {
    expect(
      zonedInstant({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Berlin').toISOString(),
    ).toBe('2026-03-29T01:30:00.000Z');
    // The doubled hour of autumn is the first of the two.
    expect(parseDateTime('2026-10-25T02:30', 'Europe/Berlin')?.toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });
});
