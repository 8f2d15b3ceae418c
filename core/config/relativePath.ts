import { isAbsolute, resolve } from 'node:path';

/** Resolves a path from the configuration against the configuration file's folder. */
export function resolveConfigRelative(loaded: { baseDir: string }, p: string): string {
  return isAbsolute(p) ? p : resolve(loaded.baseDir, p);
}
