import { InputError, UpstreamError } from '../../core/errors.ts';
import type { KubernetesClusters } from '../../integrations/kubernetes/kubernetes.ts';
import type { NamedResource } from '../../pipeline/defineCommand.ts';
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
  // Commands check team names before authorizing (teamNamed), suggesting only teams the caller
  // may see; this is reached only when the configuration changed under a waiting request.
  throw new InputError(`there is no team "${name}"; "workers" lists the teams`, usage);
}

/** A team named in a command, checked against `teams` before authorizing. */
export function teamNamed(config: ScalingDeps['config'], name: string): NamedResource {
  return {
    kind: 'team',
    name,
    known: config.teams.map((t) => t.name),
    resource: (n) => `team:${n}`,
    hint: '"workers" lists the teams',
  };
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
