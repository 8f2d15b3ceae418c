import { z } from 'zod';
import type { NamedResource } from '../../../pipeline/defineCommand.ts';
import type { FreezeDeps } from '../deps.ts';

const serviceWord = /^[a-z][a-z0-9-]{0,62}$/;

/** `all`, or the services named: what a freeze or an unfreeze covers (empty: all). */
export const serviceList = (words: readonly string[]): string[] =>
  words.some((w) => w.toLowerCase() === 'all') ? [] : [...new Set(words)];

export const serviceWords = z.array(
  z.string().refine((w) => w.toLowerCase() === 'all' || serviceWord.test(w), {
    error: 'expected a service name such as orders-api, or all',
  }),
);

/**
 * The resource a freeze of these services is authorized on: one service, or `service:*` for several
 * or all (whoever may freeze any service may freeze several at once).
 */
export const freezeResource = (services: readonly string[]): string =>
  services.length === 1 ? `service:${services[0]}` : 'service:*';

/** Each service named must be one dpbot deploys (release.services), checked before authorizing. */
export function servicesNamed(deps: FreezeDeps, services: readonly string[]): NamedResource[] {
  return services.map((name) => ({
    kind: 'service',
    name,
    known: deps.config.services,
    resource: (n) => `service:${n}`,
    hint: '"release status" shows the services dpbot deploys',
  }));
}
