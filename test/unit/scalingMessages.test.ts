import { describe, expect, it } from 'vitest';
import { podsLine, readinessStatus } from '../../handlers/scaling/messages.ts';

describe('scaling status lines', () => {
  it('a scale-down reads as pods going away, never as more ready than wanted', () => {
    expect(readinessStatus('replicas', 2, 6, 6, 6)).toBe('4 of 6 pods still stopping (down to 2)');
    expect(readinessStatus('replicas', 2, 2, 3, 6)).toBe('1 of 3 pods still stopping (down to 2)');
    expect(readinessStatus('replicas', 2, 2, 2, 6)).toBe('Scaled down to 2: all 2 ready');
    expect(readinessStatus('replicas', 0, 2, 2, 6)).toBe('2 still stopping');
    expect(podsLine(2, 6, 6)).toBe('4 of 6 pods still stopping');
  });

  it('a scale-up counts pods becoming ready', () => {
    expect(readinessStatus('replicas', 8, 4, 4, 4)).toBe('4/8 ready');
    expect(readinessStatus('replicas', 8, 8, 8, 4)).toBe('8/8 ready');
    expect(podsLine(8, 6, 8)).toBe('6/8 ready');
  });
});
