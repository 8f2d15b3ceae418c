import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * The folder holding dpbot's package.json. Found by walking up from this file so the same code
 * works from the sources (`app/`) and from the compiled output (`dist/app/`).
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = import.meta.dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const { name } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string };
      if (name === 'dpbot') {
        cached = dir;
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find dpbot's package.json above ${import.meta.dirname}`);
    dir = parent;
  }
}

export const migrationsFolder = (): string => join(projectRoot(), 'migrations');
