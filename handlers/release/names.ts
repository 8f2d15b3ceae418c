import type { NamedResource } from '../../pipeline/defineCommand.ts';
import type { ReleaseDeps } from './deps.ts';

type Config = ReleaseDeps['config'];

/** A service named in a command, checked against `release.services` before authorizing. */
export function serviceNamed(config: Config, name: string): NamedResource {
  return {
    kind: 'service',
    name,
    known: config.release.services.map((s) => s.name),
    resource: (n) => `service:${n}`,
    hint: '"release status" shows the services of the release',
  };
}

/** An Argo CD application named in a command: one of the configured services' applications. */
export function applicationNamed(config: Config, name: string): NamedResource {
  return {
    kind: 'application',
    name,
    known: config.release.services.flatMap((s) => s.applications),
    resource: (n) => `app:${n}`,
    hint: '"release status" shows the applications of the release',
  };
}
