import type { ReleaseDeps } from './deps.ts';

/** Applications of the included services, in waves: configured waves first, then one service at a time. */
export function planWaves(
  services: Pick<ReleaseDeps, 'config'>,
  included: readonly string[],
  revisions: ReadonlyMap<string, string>,
): { application: string; service: string; wave: number; revision: string }[] {
  const config = services.config.release;
  const waves: string[][] = config.waves
    .map((w) => w.filter((s) => included.includes(s)))
    .filter((w) => w.length > 0);
  const placed = new Set(waves.flat());
  for (const s of included) if (!placed.has(s)) waves.push([s]);
  const out: { application: string; service: string; wave: number; revision: string }[] = [];
  waves.forEach((wave, i) => {
    for (const name of wave) {
      const svc = config.services.find((s) => s.name === name);
      for (const application of svc?.applications ?? [])
        out.push({ application, service: name, wave: i + 1, revision: revisions.get(name) ?? '' });
    }
  });
  return out;
}
