import type { WorkloadRef } from './workloadRef.ts';

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

/** One manager's last write of a worker count, as the API server records it in metadata.managedFields. */
export interface ReplicaWriter {
  /** `dpbot`, `kubectl`, `kube-controller-manager`, `argocd-controller`: the field manager's name. */
  manager: string;
  /** `Update` or `Apply`. */
  operation: string;
  /** `scale` when written through the scale subresource. */
  subresource: string | undefined;
  at: Date;
}

/** An event a controller recorded about the workload's size (ScalingReplicaSet, SuccessfulRescale). */
export interface ScalingEvent {
  reason: string;
  message: string;
  at: Date;
  /** `Deployment/ingest-workers`, `HorizontalPodAutoscaler/loader`. */
  object: string;
  /** The controller that recorded it (`deployment-controller`, `horizontal-pod-autoscaler`). */
  component: string | undefined;
}

/** Who last wrote a workload's worker count (one entry per manager) and the scaling events still kept. */
export interface ReplicaHistory {
  writers: ReplicaWriter[];
  events: ScalingEvent[];
}

/** An RBAC question, as a SelfSubjectAccessReview asks it. */
export interface AccessQuestion {
  verb: string;
  /** '' for the core group. */
  group: string;
  resource: string;
  subresource?: string;
  namespace: string;
  name?: string;
}

export interface AccessAnswer {
  allowed: boolean;
  /** What the authorizer said, when it said anything. */
  reason: string | undefined;
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
  /**
   * Who changed the worker count and when: the managers whose managedFields own the count's field,
   * and the scaling events of the workload and its HPA (the API server keeps events an hour by default).
   */
  replicaHistory(ref: WorkloadRef): Promise<ReplicaHistory>;
  /** Whether dpbot's credentials for the cluster may do this (a SelfSubjectAccessReview). */
  canI(cluster: string, question: AccessQuestion): Promise<AccessAnswer>;
  /**
   * Who the cluster says dpbot is (a SelfSubjectReview: `system:serviceaccount:dpbot:dpbot`), else
   * the kubeconfig user; undefined when neither is known.
   */
  whoAmI(cluster: string): Promise<string | undefined>;
}
