import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** How often a simulator's state is written down when it changed. */
const SAVE_EVERY_MS = 1000;

/** A simulator whose state a later one, seeded the same way, can take over. */
export interface Restorable<T> {
  snapshot(): T;
  restore(snapshot: T): unknown;
}

// Simulators keep dates and maps (a release's dates, a repository's tags); JSON alone would hand
// them back as strings and plain objects.
function encode(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, shown: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Map) return { $map: [...raw] };
    if (raw instanceof Set) return { $set: [...raw] };
    return shown;
  });
}

function decode(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value !== 'object' || value === null) return value;
    if ('$date' in value && typeof value.$date === 'string') return new Date(value.$date);
    if ('$map' in value && Array.isArray(value.$map)) return new Map(value.$map as [unknown, unknown][]);
    if ('$set' in value && Array.isArray(value.$set)) return new Set(value.$set as unknown[]);
    return value;
  });
}

/**
 * Keeps a simulator's state in `dir/<name>.json`: read back at start (over the demo data it was
 * seeded with), written within a second of a change (`changes` grows with every one) and when it
 * stops, so a restart finds what dpbot's records describe. A file that cannot be read is set aside
 * and the demo state used. Returns what to call at stop; without a `dir`, nothing is kept.
 */
export function keepState<T>(
  dir: string | undefined,
  name: string,
  sim: Restorable<T>,
  changes: () => number,
): () => void {
  if (!dir) return () => undefined;
  const file = join(dir, `${name}.json`);
  mkdirSync(dir, { recursive: true });
  if (existsSync(file)) {
    try {
      sim.restore(decode(readFileSync(file, 'utf8')) as T);
    } catch {
      renameSync(file, `${file}.unreadable`);
    }
  }
  let saved = changes();
  const save = () => {
    saved = changes();
    writeFileSync(`${file}.tmp`, encode(sim.snapshot()));
    renameSync(`${file}.tmp`, file);
  };
  const timer = setInterval(() => {
    if (changes() !== saved) save();
  }, SAVE_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    save();
  };
}
