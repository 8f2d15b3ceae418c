/** `12 s`, `5 min`, `3 h 10 min`, `2 d 4 h`: how long, in the words people read in Slack. */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** `12 s ago`, from two instants. */
export function ago(now: Date, at: Date): string {
  return `${humanDuration(now.getTime() - at.getTime())} ago`;
}
