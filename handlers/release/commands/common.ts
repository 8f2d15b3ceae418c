import { z } from 'zod';
import type { Services } from '../../../bot/services.ts';
import { NotFoundError } from '../../../core/errors.ts';
import type { Release } from '../../../db/stores/releaseStore.ts';

export const releaseId = z.coerce
  .number({ error: 'expected a release number such as 12' })
  .int({ error: 'expected a release number such as 12' })
  .min(1, { error: 'expected a release number such as 12' });

export const serviceArg = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, { error: 'expected a service name such as orders-api' });

export const applicationArg = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{0,252}$/, { error: 'expected an Argo CD application name such as orders-api' });

/** The release named, or the active one (open or shipping). */
export async function findRelease(services: Services, id: number | undefined): Promise<Release> {
  if (id !== undefined) {
    const release = await services.releases.get(id);
    if (!release) throw new NotFoundError(`there is no release #${id}; "release history" lists them`);
    return release;
  }
  const active = await services.releases.active();
  if (!active)
    throw new NotFoundError(
      'no release is in progress; "release start" begins one, "release history" lists past ones',
    );
  return active;
}

/** The release named, or the active one, or the latest. */
export async function findReleaseOrLatest(services: Services, id: number | undefined): Promise<Release> {
  if (id !== undefined) return findRelease(services, id);
  const active = await services.releases.active();
  if (active) return active;
  const [latest] = await services.releases.history(1);
  if (!latest) throw new NotFoundError('there has been no release yet; "release start" begins one');
  return latest;
}
