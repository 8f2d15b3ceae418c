import { InputError, NotFoundError } from '../../core/errors.ts';
import type { Caller } from '../../pipeline/defineCommand.ts';
import { personName } from '../../pipeline/people.ts';
import type { ReleaseServiceConfig } from './config.ts';
import type { ReleaseDeps } from './deps.ts';
import type { ReleaseSnapshot } from './stores/releaseStore.ts';

export function serviceConfig(services: Pick<ReleaseDeps, 'config'>, name: string): ReleaseServiceConfig {
  const found = services.config.release.services.find((s) => s.name === name);
  if (!found) {
    const known = services.config.release.services.map((s) => s.name);
    throw new NotFoundError(
      `no service is named "${name}"${known.length ? `; the services are ${known.join(', ')}` : '; release.services in the configuration lists none'}`,
    );
  }
  return found;
}

export function isManager(services: Pick<ReleaseDeps, 'config'>, caller: Caller): boolean {
  const managers = services.config.release.managers;
  return managers !== undefined && caller.groups.includes(managers);
}

/** An owner entry names the caller: by e-mail, by Slack id, or through a directory group. */
export function isOwner(service: ReleaseServiceConfig, caller: Caller): boolean {
  return service.owners.some(
    (o) =>
      o.toLowerCase() === caller.email.toLowerCase() ||
      (caller.slackUserId !== null && o === caller.slackUserId) ||
      caller.groups.includes(o),
  );
}

export interface Person {
  email: string;
  slackUserId: string | null;
}

/** The people behind a service's owner entries (groups expanded), for reminders. */
export async function ownerPeople(
  services: Pick<ReleaseDeps, 'access'>,
  service: ReleaseServiceConfig,
): Promise<Person[]> {
  const people = new Map<string, Person>();
  const groups = service.owners.filter((o) => o.includes(':'));
  const members = await services.access.groupMembers(groups);
  const emails = [
    ...service.owners.filter((o) => o.includes('@')),
    ...[...members.values()].flat().map((m) => m.email),
  ];
  for (const email of emails) {
    const user = await services.access.findUser({ email });
    if (user?.active === false) continue;
    people.set(email.toLowerCase(), { email: email.toLowerCase(), slackUserId: user?.slackUserId ?? null });
  }
  for (const id of service.owners.filter((o) => /^[UW][A-Z0-9]+$/.test(o))) {
    const user = await services.access.findUser({ slackUserId: id });
    if (user && !user.active) continue;
    if (user) people.set(user.email, { email: user.email, slackUserId: id });
  }
  return [...people.values()];
}

/** How owners appear in a message: Slack mentions where known, group names, e-mails. */
export function ownerMentions(service: ReleaseServiceConfig): string {
  return service.owners.map((o) => (/^[UW][A-Z0-9]+$/.test(o) ? `<@${o}>` : o)).join(', ');
}

/** How a person is named in messages: their name in the directory, else their e-mail. */
export async function nameOf(services: Pick<ReleaseDeps, 'access'>, email: string): Promise<string> {
  const user = await services.access.findUser({ email });
  return personName({ name: user?.name, email });
}

/** The names of the people a release's messages mention (who started it, who decided). */
export async function releaseNames(
  services: Pick<ReleaseDeps, 'access'>,
  snapshot: ReleaseSnapshot,
): Promise<Map<string, string>> {
  const emails = new Set(
    [snapshot.release.startedBy, ...snapshot.confirmations.map((c) => c.decidedBy)].filter(
      (e): e is string => typeof e === 'string' && e.includes('@'),
    ),
  );
  const names = new Map<string, string>();
  for (const email of emails) names.set(email, await nameOf(services, email));
  return names;
}

export function requireArgo(services: Pick<ReleaseDeps, 'argocd'>) {
  const argocd = services.argocd;
  if (!argocd)
    throw new InputError(
      'Argo CD is not configured: set argocd.url in the configuration (and ARGOCD_TOKEN in the environment)',
    );
  return argocd;
}
