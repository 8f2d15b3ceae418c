import type { Logger } from 'pino';
import { ConfigError, UpstreamError } from '../../core/errors.ts';
import type { KubernetesConfig, TeamTargets } from './config.ts';
import type {
  AccessAnswer,
  AccessQuestion,
  ArgoApplicationState,
  Change,
  HpaState,
  KubernetesClusters,
  PodReport,
  ReplicaHistory,
  WorkloadState,
} from './types.ts';
import type { WorkloadRef } from './workloadRef.ts';

// Most callers know this module as the Kubernetes integration's entry point.
export type {
  AccessAnswer,
  AccessQuestion,
  ArgoApplicationState,
  Change,
  HpaState,
  KubernetesClusters,
  PodReport,
  ReplicaHistory,
  ScalingEvent,
  WorkloadState,
} from './types.ts';
export {
  describeRef,
  rbacResource,
  replicasPointer,
  type WorkloadRef,
  workloadRef,
} from './workloadRef.ts';

/**
 * Loads the kubeconfig (and the client library, which is large) on first use, so one-shot commands
 * (`dpbot policies apply`) start fast and work where no cluster is reachable; long-running
 * processes call `load()` at start, so a wrong context or a missing kubeconfig stops the start
 * with the setting to fix.
 */
export class LazyKubernetes implements KubernetesClusters {
  readonly #load: () => Promise<KubernetesClusters>;
  #clusters: Promise<KubernetesClusters> | undefined;

  constructor(load: () => Promise<KubernetesClusters>) {
    this.#load = load;
  }

  load(): Promise<KubernetesClusters> {
    this.#clusters ??= this.#load();
    return this.#clusters;
  }

  async #get(): Promise<KubernetesClusters> {
    try {
      return await this.load();
    } catch (error) {
      if (error instanceof ConfigError)
        throw new UpstreamError(
          'Kubernetes',
          `dpbot is not set up to reach the clusters: ${error.problems.join('; ')}`,
        );
      throw error;
    }
  }

  async read(ref: WorkloadRef): Promise<WorkloadState> {
    return (await this.#get()).read(ref);
  }
  async setReplicas(ref: WorkloadRef, replicas: number): Promise<Change> {
    return (await this.#get()).setReplicas(ref, replicas);
  }
  async hpaFor(ref: WorkloadRef): Promise<HpaState | null> {
    return (await this.#get()).hpaFor(ref);
  }
  async setHpaMinReplicas(ref: WorkloadRef, hpaName: string, minReplicas: number): Promise<Change> {
    return (await this.#get()).setHpaMinReplicas(ref, hpaName, minReplicas);
  }
  async argoApplication(
    cluster: string,
    namespace: string,
    name: string,
    target: { group: string; kind: string; pointer: string },
  ): Promise<ArgoApplicationState | null> {
    return (await this.#get()).argoApplication(cluster, namespace, name, target);
  }
  async pods(ref: WorkloadRef, selector: string): Promise<PodReport> {
    return (await this.#get()).pods(ref, selector);
  }
  async replicaHistory(ref: WorkloadRef): Promise<ReplicaHistory> {
    return (await this.#get()).replicaHistory(ref);
  }
  async canI(cluster: string, question: AccessQuestion): Promise<AccessAnswer> {
    return (await this.#get()).canI(cluster, question);
  }
  async whoAmI(cluster: string): Promise<string | undefined> {
    return (await this.#get()).whoAmI(cluster);
  }
}

/** The clusters of the configured kubeconfig, or undefined when no team is configured. */
export function kubernetesFromConfig(
  config: { kubernetes: KubernetesConfig; teams: TeamTargets },
  deps: {
    env: Readonly<Record<string, string | undefined>>;
    resolvePath: (p: string) => string;
    log: Logger;
  },
): LazyKubernetes | undefined {
  if (config.teams.length === 0) return undefined;
  return new LazyKubernetes(async () => {
    const { loadClusters } = await import('./kubeClusters.ts');
    return loadClusters(config, deps);
  });
}
