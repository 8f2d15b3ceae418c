import type { Logger } from 'pino';
import type { Config } from '../../bot/config/schema.ts';
import { ConfigError, UpstreamError } from '../../core/errors.ts';
import type { TargetConfig } from '../../handlers/scaling/config.ts';

/** Where a worker count lives, in Kubernetes terms. */
export type WorkloadRef =
  | { kind: 'Deployment' | 'StatefulSet'; cluster: string; namespace: string; name: string }
  | { kind: 'ConfigMap'; cluster: string; namespace: string; name: string; key: string; selector?: string }
  | {
      kind: 'Custom';
      cluster: string;
      namespace: string;
      name: string;
      group: string;
      version: string;
      plural: string;
      resourceKind?: string;
      field: string;
      selector?: string;
    };

export function workloadRef(target: TargetConfig): WorkloadRef {
  const base = { cluster: target.cluster, namespace: target.namespace, name: target.object ?? target.name };
  switch (target.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return { ...base, kind: target.kind };
    case 'ConfigMap':
      return {
        ...base,
        kind: 'ConfigMap',
        key: target.key,
        ...(target.selector ? { selector: target.selector } : {}),
      };
    case 'Custom': {
      const [group = '', version = ''] = target.apiVersion.split('/');
      return {
        ...base,
        kind: 'Custom',
        group,
        version,
        plural: target.resource,
        field: target.field,
        ...(target.resourceKind ? { resourceKind: target.resourceKind } : {}),
        ...(target.selector ? { selector: target.selector } : {}),
      };
    }
  }
}

/** `Deployment team-x/ingest-workers`, `key "executors" of ConfigMap team-s/spark-settings`. */
export function describeRef(ref: WorkloadRef): string {
  const object = `${ref.namespace}/${ref.name}`;
  switch (ref.kind) {
    case 'ConfigMap':
      return `key "${ref.key}" of ConfigMap ${object}`;
    case 'Custom':
      return `${ref.field} of ${ref.resourceKind ?? ref.plural} ${object}`;
    default:
      return `${ref.kind} ${object}`;
  }
}

/** The RBAC resource and API group that hold the object. */
export function rbacResource(ref: WorkloadRef): [resource: string, group: string] {
  switch (ref.kind) {
    case 'Deployment':
      return ['deployments', 'apps'];
    case 'StatefulSet':
      return ['statefulsets', 'apps'];
    case 'ConfigMap':
      return ['configmaps', ''];
    case 'Custom':
      return [ref.plural, ref.group];
  }
}

/** The JSON pointer of the replica count in the object, as Argo CD's ignoreDifferences names it. */
export function replicasPointer(ref: WorkloadRef): string {
  if (ref.kind === 'ConfigMap') return `/data/${ref.key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  if (ref.kind === 'Custom') return `/${ref.field.split('.').join('/')}`;
  return '/spec/replicas';
}

export interface WorkloadState {
  replicas: number;
  resourceVersion: string;
  /** Ready pods; null when dpbot cannot tell (a field target without a pod selector). */
  ready: number | null;
  /** Pods that exist; null when unknown. */
  current: number | null;
  /** Label selector of its pods, when known. */
  selector: string | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface HpaState {
  name: string;
  minReplicas: number;
  maxReplicas: number;
  currentReplicas: number | null;
  desiredReplicas: number | null;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ArgoApplicationState {
  name: string;
  selfHeal: boolean;
  /** Whether ignoreDifferences covers the pointer for that kind, with RespectIgnoreDifferences=true. */
  ignores: boolean;
}

export interface PodProblem {
  reason: string;
  count: number;
  message: string | null;
}

export interface PodReport {
  total: number;
  ready: number;
  /** Why pods are not ready, grouped by reason, most frequent first. */
  problems: PodProblem[];
}

export interface Change {
  from: number;
  to: number;
  /** 409 Conflicts met (and retried) on the way. */
  conflicts: number;
}

/** The clusters dpbot may change worker counts in. */
export interface KubernetesClusters {
  read(ref: WorkloadRef): Promise<WorkloadState>;
  /** Sets the count with optimistic concurrency: read, write with resourceVersion, retry on 409. */
  setReplicas(ref: WorkloadRef, replicas: number): Promise<Change>;
  /** The HPA (autoscaling/v2) whose scaleTargetRef is this workload, if any. */
  hpaFor(ref: WorkloadRef): Promise<HpaState | null>;
  setHpaMinReplicas(ref: WorkloadRef, hpaName: string, minReplicas: number): Promise<Change>;
  /** An Argo CD Application object (argoproj.io/v1alpha1), or null when it does not exist. */
  argoApplication(
    cluster: string,
    namespace: string,
    name: string,
    target: { group: string; kind: string; pointer: string },
  ): Promise<ArgoApplicationState | null>;
  pods(ref: WorkloadRef, selector: string): Promise<PodReport>;
}

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
}

/** The clusters of the configured kubeconfig, or undefined when no team is configured. */
export function kubernetesFromConfig(
  config: Pick<Config, 'kubernetes' | 'teams'>,
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
