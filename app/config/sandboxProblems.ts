import type { SandboxSelection, SandboxSystem } from '../../core/config/sandbox.ts';
import type { Config } from './schema.ts';

const kind = (simulated: boolean): string => (simulated ? 'simulated' : 'real');

/** The context the simulated cluster's kubeconfig has (app/sandbox/kubernetesSandbox.ts). */
export const SIMULATED_CLUSTER = 'sandbox';

/** The names the simulated directory's sources take (app/sandbox/directoryParts.ts). */
export const SIMULATED_SOURCES = ['google', 'github'] as const;

/**
 * Two systems whose data must come from the same side while `key` is set: a simulated one knows
 * nothing of the real one's repositories, revisions, issues or workflows, and a real one must not
 * be changed on the word of a simulated one.
 */
interface Pairing {
  systems: readonly [SandboxSystem, SandboxSystem];
  /** The configuration key that ties them, when it is set and both are in use; undefined otherwise. */
  tiedBy(config: Config): string | undefined;
  why: string;
}

/** A system is in use when it is simulated, or real and configured. */
const inUse = (config: Config, system: SandboxSystem, configured: boolean): boolean =>
  config.sandbox[system] || configured;

const PAIRINGS: readonly Pairing[] = [
  {
    systems: ['github', 'argocd'],
    tiedBy: (c) =>
      c.release.services.length > 0 && inUse(c, 'argocd', c.argocd.url !== undefined)
        ? 'release.services'
        : undefined,
    why: "a release compares what Argo CD deploys with GitHub's commits and ships those commits, and the simulated one has only the demo repositories and revisions",
  },
  {
    systems: ['github', 'jira'],
    tiedBy: (c) =>
      c.release.services.length > 0 &&
      c.release.jira.project !== undefined &&
      inUse(c, 'jira', c.jira.url !== undefined)
        ? 'release.jira.project'
        : undefined,
    why: "a release sets its fix version on the Jira issues its pull requests name, and the simulated one's issues are the demo pull requests' keys",
  },
  {
    systems: ['argo', 'jira'],
    tiedBy: (c) =>
      c.tasks.length > 0 &&
      inUse(c, 'argo', c.argo.url !== undefined) &&
      inUse(c, 'jira', c.jira.url !== undefined)
        ? 'tasks'
        : undefined,
    why: 'task runs open and comment on Jira tickets, which would describe runs that happened elsewhere',
  },
  {
    systems: ['catalog', 'argo'],
    tiedBy: (c) => (Object.keys(c.datasets.producers).length > 0 ? 'datasets.producers' : undefined),
    why: "datasets.producers names the Argo CronWorkflows that produce the catalog's datasets, and the simulated side has only the demo ones",
  },
];

/**
 * What `sandbox` (core/config/sandbox.ts) cannot mean together with the rest of the
 * configuration, each problem naming the keys to change. `config check` and every start report them.
 */
export function sandboxProblems(config: Config): string[] {
  const simulated: SandboxSelection = config.sandbox;
  const problems: string[] = [];
  for (const pairing of PAIRINGS) {
    const [a, b] = pairing.systems;
    if (simulated[a] === simulated[b]) continue;
    const key = pairing.tiedBy(config);
    if (key === undefined) continue;
    problems.push(
      `sandbox.${a}, sandbox.${b}: ${a} is ${kind(simulated[a])} and ${b} is ${kind(simulated[b])}, but ${key} needs both on one side: ${pairing.why}. Make both real or both simulated, or leave ${key} out`,
    );
  }
  if (simulated.directory) {
    config.directory.sources.forEach((source, i) => {
      if (source.type === 'google' || source.type === 'github')
        problems.push(
          `directory.sources[${i}]: a ${source.type} source reads the real ${source.type === 'google' ? 'Google Workspace' : 'GitHub organization'}, but sandbox.directory is simulated (the sandbox brings its own google and github sources); set sandbox.directory: false to use yours`,
        );
      else if ((SIMULATED_SOURCES as readonly string[]).includes(source.name))
        problems.push(
          `directory.sources[${i}].name: "${source.name}" is the name of a simulated source while sandbox.directory is simulated; rename this source`,
        );
    });
  }
  if (simulated.kubernetes) {
    config.teams.forEach((team, i) => {
      team.targets.forEach((target, j) => {
        if (target.cluster !== SIMULATED_CLUSTER)
          problems.push(
            `teams[${i}].targets[${j}].cluster: "${target.cluster}" is not a cluster of the simulated Kubernetes (its one context is "${SIMULATED_CLUSTER}"); set sandbox.kubernetes: false to use your clusters, or cluster: ${SIMULATED_CLUSTER}`,
          );
      });
    });
  }
  return problems;
}
