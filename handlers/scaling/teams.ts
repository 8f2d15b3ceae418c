import { distance } from 'fastest-levenshtein';
import { InputError, UpstreamError } from '../../core/errors.ts';
import type { KubernetesClusters } from '../../integrations/kubernetes/kubernetes.ts';
import type { TargetConfig, TeamConfig } from './config.ts';
import type { ScalingDeps } from './deps.ts';

export const SCALE_USAGE =
  'scale <team> <replicas> [--target <name>] [--for <duration>] [--reason <text>] [--hpa-min] | scale <team> --revert';

export function findTeam(config: ScalingDeps['config'], name: string, usage?: string): TeamConfig {
  const team = config.teams.find((t) => t.name === name);
  if (team) return team;
  if (config.teams.length === 0)
    throw new InputError(
      'no teams are configured yet; the dpbot administrators add them under "teams" in the configuration',
    );
  const near = config.teams
    .map((t) => ({ name: t.name, d: distance(name, t.name) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(name.length / 3)))
    .sort((a, b) => a.d - b.d)
    .map((x) => `"${x.name}"`);
  throw new InputError(
    `unknown team "${name}"${near.length ? `; did you mean ${near.slice(0, 2).join(' or ')}?` : ''} (teams: ${config.teams.map((t) => t.name).join(', ')})`,
    usage,
  );
}

/** The named target, or the team's only one; a team with several needs `--target`. */
export function findTarget(team: TeamConfig, name: string | undefined, usage?: string): TargetConfig {
  const names = team.targets.map((t) => t.name).join(', ');
  if (name === undefined) {
    const [only, ...others] = team.targets;
    if (only && others.length === 0) return only;
    throw new InputError(
      `${team.name} has several targets (${names}); say which one with --target <name>`,
      usage,
    );
  }
  const target = team.targets.find((t) => t.name === name);
  if (!target) throw new InputError(`${team.name} has no target "${name}" (targets: ${names})`, usage);
  return target;
}

export function label(team: TeamConfig, target: TargetConfig): string {
  return `${team.name}/${target.name}`;
}

export function requireKubernetes(services: ScalingDeps): KubernetesClusters {
  if (!services.kubernetes)
    throw new UpstreamError(
      'Kubernetes',
      'dpbot has no Kubernetes access configured (kubernetes.kubeconfig or KUBECONFIG)',
    );
  return services.kubernetes;
}

/** `Ada Lovelace (ada@example.com)`, or the e-mail alone: readable in Slack and in the console. */
export function who(person: { name?: string | null; email: string }): string {
  return person.name ? `${person.name} (${person.email})` : person.email;
}
