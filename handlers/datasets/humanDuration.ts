import { durationWords } from '../../core/durationWords.ts';

/** `12s`, `5m`, `3h 10m`, `2d 4h`: how long, to the two largest units (a zero one left out). */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return durationWords({ seconds }, 'seconds');
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return durationWords({ minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return durationWords({ hours, minutes: minutes % 60 });
  return durationWords({ days: Math.floor(hours / 24), hours: hours % 24 });
}

/** `12s ago`, from two instants. */
export function ago(now: Date, at: Date): string {
  return `${humanDuration(now.getTime() - at.getTime())} ago`;
}
