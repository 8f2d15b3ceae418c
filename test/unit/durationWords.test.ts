import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationWords, standInWords } from '../../core/durationWords.ts';
import { humanDuration as taskDuration } from '../../handlers/tasks/views/runs.ts';

describe('durations in words', () => {
  it("writes Intl.DurationFormat's narrow English style", () => {
    expect(durationWords({ hours: 3, minutes: 10 })).toBe('3h 10m');
    expect(durationWords({ days: 2, hours: 0 })).toBe('2d');
    expect(durationWords({ seconds: 0 }, 'seconds')).toBe('0s');
    expect(durationWords({ minutes: 5, seconds: 0 }, 'seconds')).toBe('5m 0s');
  });

  it('writes the same words where Node has no Intl.DurationFormat (Node 22)', () => {
    const count = fc.nat({ max: 5000 });
    const always = fc.constantFrom('days', 'hours', 'minutes', 'seconds', undefined);
    fc.assert(
      fc.property(count, count, count, count, always, (days, hours, minutes, seconds, unit) => {
        const parts = { days, hours, minutes, seconds };
        expect(standInWords(parts, unit)).toBe(durationWords(parts, unit));
      }),
    );
  });

  it('keeps the lower unit of a task run at zero, so a running clock keeps its shape', () => {
    expect(taskDuration(-5)).toBe('0s');
    expect(taskDuration(45_400)).toBe('45s');
    expect(taskDuration(6 * 60_000 + 3_000)).toBe('6m 3s');
    expect(taskDuration(5 * 60_000)).toBe('5m 0s');
    expect(taskDuration(2 * 3_600_000)).toBe('2h 0m');
    expect(taskDuration(47 * 3_600_000 + 5 * 60_000)).toBe('47h 5m');
    expect(taskDuration(2 * 86_400_000)).toBe('2d 0h');
  });
});
