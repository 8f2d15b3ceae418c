// Whole: every read and write (scale, HPA, self-heal, pods) shares the per-cluster clients.
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  AutoscalingV2Api,
  CoreV1Api,
  type CoreV1Event,
  CustomObjectsApi,
  createConfiguration,
  KubeConfig,
  PatchStrategy,
  ServerConfiguration,
  setHeaderOptions,
  type V1ManagedFieldsEntry,
  type V1Pod,
  type V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { ConfigError, ConflictError, NotFoundError, UpstreamError } from '../../core/errors.ts';
import { outboundStatus, timedOutbound } from '../../core/http/outbound.ts';
import type { KubernetesConfig, TeamTargets } from './config.ts';
import { KubeConflict, type KubeOperation, translateKubeError } from './errors.ts';
import { getField, setField } from './fieldPath.ts';
import { loadKubeConfig, reusingConnections } from './kubeConfig.ts';
import type {
  AccessAnswer,
  AccessQuestion,
  ArgoApplicationState,
  Change,
  HpaState,
  KubernetesClusters,
  PodProblem,
  PodReport,
  ReplicaHistory,
  ReplicaWriter,
  ScalingEvent,
  WorkloadState,
} from './types.ts';
import { describeRef, rbacResource, type WorkloadRef } from './workloadRef.ts';

/**
 * The name dpbot's writes carry as their field manager, so managedFields (and `changes`) tell its
 * writes from kubectl's or a controller's; without it the API server takes the User-Agent's prefix.
 */
const FIELD_MANAGER = 'dpbot';

/** Events about a workload's size: the deployment controller's and the HPA's (pkg/controller). */
const SCALING_REASONS = new Set(['ScalingReplicaSet', 'SuccessfulRescale']);

/** The managedFields path (fieldsV1, `f:` keys) of the field holding the count. */
function countPath(ref: WorkloadRef): string[] {
  switch (ref.kind) {
    case 'Deployment':
    case 'StatefulSet':
      return ['spec', 'replicas'];
    case 'ConfigMap':
      return ['data', ref.key];
    case 'Custom':
      return ref.field.split('.');
  }
}

/** Whether a managedFields entry's fieldsV1 set holds the path. */
function owns(entry: V1ManagedFieldsEntry, path: readonly string[]): boolean {
  let node: unknown = entry.fieldsV1;
  for (const part of path) {
    if (typeof node !== 'object' || node === null) return false;
    node = (node as Record<string, unknown>)[`f:${part}`];
  }
  return node !== undefined;
}

function eventTime(event: CoreV1Event): Date | undefined {
  const at =
    event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata.creationTimestamp;
  return at ? new Date(at) : undefined;
}

interface Apis {
  server: string;
  apps: AppsV1Api;
  core: CoreV1Api;
  autoscaling: AutoscalingV2Api;
  custom: CustomObjectsApi;
  authorization: AuthorizationV1Api;
  authentication: AuthenticationV1Api;
}

export interface KubernetesOptions {
  /** A kubeconfig file; else $KUBECONFIG, in-cluster, ~/.kube/config. */
  kubeconfig?: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  requestTimeoutMs: number;
  conflictRetries: number;
  log: Logger;
}

function record(value: unknown): Record<string, string> {
  return typeof value === 'object' && value !== null ? { ...(value as Record<string, string>) } : {};
}

function selectorOf(matchLabels: Record<string, string> | undefined): string | null {
  const pairs = Object.entries(matchLabels ?? {});
  return pairs.length ? pairs.map(([k, v]) => `${k}=${v}`).join(',') : null;
}

function replicaCount(value: unknown, what: string, cluster: string): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\d+$/.test(value.trim())
        ? Number(value)
        : NaN;
  if (!Number.isInteger(n) || n < 0)
    throw new UpstreamError(
      'Kubernetes',
      `${what} on cluster "${cluster}" holds ${JSON.stringify(value ?? null)}, not a worker count; fix the object or the target's configuration`,
    );
  return n;
}

export class KubeClusters implements KubernetesClusters {
  readonly contexts: readonly string[];
  readonly #apis = new Map<string, Apis>();
  /** Each context's kubeconfig user, to name when the cluster cannot say who dpbot is. */
  readonly #users = new Map<string, string>();
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #log: Logger;

  constructor(options: KubernetesOptions) {
    const { kc } = loadKubeConfig(options);
    this.#timeoutMs = options.requestTimeoutMs;
    this.#retries = options.conflictRetries;
    this.#log = options.log.child({ integration: 'kubernetes' });
    this.contexts = kc.getContexts().map((c) => c.name);
    for (const c of kc.getContexts()) this.#users.set(c.name, c.user);
    for (const context of this.contexts) {
      // The client reads the current context at request time, so each context gets its own copy.
      const scoped = new KubeConfig();
      scoped.loadFromOptions({
        clusters: kc.getClusters(),
        users: kc.getUsers(),
        contexts: kc.getContexts(),
        currentContext: context,
      });
      const cluster = scoped.getCurrentCluster();
      if (!cluster) continue;
      const timeoutMs = this.#timeoutMs;
      const configuration = createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: reusingConnections(scoped) },
        promiseMiddleware: [
          {
            pre: async (request) => {
              request.setSignal(AbortSignal.timeout(timeoutMs));
              return request;
            },
            post: async (response) => response,
          },
        ],
      });
      this.#apis.set(context, {
        server: cluster.server,
        apps: new AppsV1Api(configuration),
        core: new CoreV1Api(configuration),
        autoscaling: new AutoscalingV2Api(configuration),
        custom: new CustomObjectsApi(configuration),
        authorization: new AuthorizationV1Api(configuration),
        authentication: new AuthenticationV1Api(configuration),
      });
    }
  }

  #api(cluster: string): Apis {
    const apis = this.#apis.get(cluster);
    if (!apis)
      throw new UpstreamError(
        'Kubernetes',
        `the kubeconfig has no context "${cluster}" (it has ${this.contexts.join(', ') || 'none'})`,
      );
    return apis;
  }

  async #call<T>(op: Omit<KubeOperation, 'server'>, fn: (apis: Apis) => Promise<T>): Promise<T> {
    const apis = this.#api(op.cluster);
    try {
      return await timedOutbound('kubernetes', () => fn(apis), outboundStatus);
    } catch (error) {
      const translated = translateKubeError(error, { ...op, server: apis.server }, this.#timeoutMs);
      // The caller reports the translated error (the pipeline logs and audits it); the raw one is for debugging.
      if (!(translated instanceof KubeConflict))
        this.#log.debug({ err: error, op: { ...op, server: apis.server } }, 'Kubernetes call failed');
      throw translated;
    }
  }

  #op(ref: WorkloadRef, verb: string, sub = ''): Omit<KubeOperation, 'server'> {
    const [resource, group] = rbacResource(ref);
    return {
      cluster: ref.cluster,
      verb,
      resource: `${resource}${sub}`,
      group,
      namespace: ref.namespace,
      subject: describeRef(ref),
    };
  }

  async read(ref: WorkloadRef): Promise<WorkloadState> {
    const { name, namespace } = ref;
    switch (ref.kind) {
      case 'Deployment':
      case 'StatefulSet': {
        const object = await this.#call(this.#op(ref, 'get'), (a) =>
          ref.kind === 'Deployment'
            ? a.apps.readNamespacedDeployment({ name, namespace })
            : a.apps.readNamespacedStatefulSet({ name, namespace }),
        );
        return {
          replicas: object.spec?.replicas ?? 1,
          resourceVersion: object.metadata?.resourceVersion ?? '',
          ready: object.status?.readyReplicas ?? 0,
          current: object.status?.replicas ?? 0,
          selector: selectorOf(object.spec?.selector.matchLabels),
          labels: record(object.metadata?.labels),
          annotations: record(object.metadata?.annotations),
        };
      }
      case 'ConfigMap': {
        const object = await this.#call(this.#op(ref, 'get'), (a) =>
          a.core.readNamespacedConfigMap({ name, namespace }),
        );
        const value = object.data?.[ref.key];
        if (value === undefined)
          throw new UpstreamError(
            'Kubernetes',
            `ConfigMap ${namespace}/${name} on cluster "${ref.cluster}" has no key "${ref.key}"; fix the target's configuration`,
          );
        return this.#withPods(ref, {
          replicas: replicaCount(value, describeRef(ref), ref.cluster),
          resourceVersion: object.metadata?.resourceVersion ?? '',
          labels: record(object.metadata?.labels),
          annotations: record(object.metadata?.annotations),
        });
      }
      case 'Custom': {
        const object: unknown = await this.#call(this.#op(ref, 'get'), (a) =>
          a.custom.getNamespacedCustomObject({
            group: ref.group,
            version: ref.version,
            namespace,
            plural: ref.plural,
            name,
          }),
        );
        return this.#withPods(ref, {
          replicas: replicaCount(getField(object, ref.field), describeRef(ref), ref.cluster),
          resourceVersion: String(getField(object, 'metadata.resourceVersion') ?? ''),
          labels: record(getField(object, 'metadata.labels')),
          annotations: record(getField(object, 'metadata.annotations')),
        });
      }
    }
  }

  async #withPods(
    ref: Extract<WorkloadRef, { kind: 'ConfigMap' | 'Custom' }>,
    state: Omit<WorkloadState, 'ready' | 'current' | 'selector'>,
  ): Promise<WorkloadState> {
    if (!ref.selector) return { ...state, ready: null, current: null, selector: null };
    const pods = await this.pods(ref, ref.selector);
    return { ...state, ready: pods.ready, current: pods.total, selector: ref.selector };
  }

  /** Writes `replicas` on top of the state read; a stale resourceVersion throws KubeConflict. */
  async #write(ref: WorkloadRef, replicas: number): Promise<number> {
    const { name, namespace } = ref;
    switch (ref.kind) {
      case 'Deployment':
      case 'StatefulSet': {
        // Read through the scale subresource, so the write's resourceVersion is the one just seen.
        const scale = await this.#call(this.#op(ref, 'get', '/scale'), (a) =>
          ref.kind === 'Deployment'
            ? a.apps.readNamespacedDeploymentScale({ name, namespace })
            : a.apps.readNamespacedStatefulSetScale({ name, namespace }),
        );
        const from = scale.spec?.replicas ?? 0;
        const body = {
          apiVersion: 'autoscaling/v1',
          kind: 'Scale',
          metadata: { name, namespace, resourceVersion: scale.metadata?.resourceVersion ?? '' },
          spec: { replicas },
        };
        await this.#call(this.#op(ref, 'update', '/scale'), (a) =>
          ref.kind === 'Deployment'
            ? a.apps.replaceNamespacedDeploymentScale({ name, namespace, body, fieldManager: FIELD_MANAGER })
            : a.apps.replaceNamespacedStatefulSetScale({
                name,
                namespace,
                body,
                fieldManager: FIELD_MANAGER,
              }),
        );
        return from;
      }
      case 'ConfigMap': {
        const object = await this.#call(this.#op(ref, 'get'), (a) =>
          a.core.readNamespacedConfigMap({ name, namespace }),
        );
        const from = replicaCount(object.data?.[ref.key], describeRef(ref), ref.cluster);
        object.data = { ...object.data, [ref.key]: String(replicas) };
        await this.#call(this.#op(ref, 'update'), (a) =>
          a.core.replaceNamespacedConfigMap({ name, namespace, body: object, fieldManager: FIELD_MANAGER }),
        );
        return from;
      }
      case 'Custom': {
        const params = { group: ref.group, version: ref.version, namespace, plural: ref.plural, name };
        const object: unknown = await this.#call(this.#op(ref, 'get'), (a) =>
          a.custom.getNamespacedCustomObject(params),
        );
        const from = replicaCount(getField(object, ref.field), describeRef(ref), ref.cluster);
        const body = setField(object, ref.field, replicas);
        await this.#call(this.#op(ref, 'update'), (a) =>
          a.custom.replaceNamespacedCustomObject({ ...params, body, fieldManager: FIELD_MANAGER }),
        );
        return from;
      }
    }
  }

  async #retrying(what: string, attempt: () => Promise<number>, to: number): Promise<Change> {
    let conflicts = 0;
    for (;;) {
      try {
        const from = await attempt();
        return { from, to, conflicts };
      } catch (error) {
        if (!(error instanceof KubeConflict)) throw error;
        conflicts++;
        this.#log.info({ what, conflicts }, 'conflict (409); reading again and retrying');
        if (conflicts > this.#retries)
          throw new ConflictError(
            `${what} kept changing while dpbot tried to change it (${conflicts} conflicts in a row); nothing was changed. Try again in a moment`,
          );
        // A short, growing pause lets the other writer finish.
        await new Promise((resolve) => setTimeout(resolve, 20 * conflicts));
      }
    }
  }

  setReplicas(ref: WorkloadRef, replicas: number): Promise<Change> {
    return this.#retrying(describeRef(ref), () => this.#write(ref, replicas), replicas);
  }

  #hpaState(hpa: V2HorizontalPodAutoscaler): HpaState {
    return {
      name: hpa.metadata?.name ?? '',
      minReplicas: hpa.spec?.minReplicas ?? 1,
      maxReplicas: hpa.spec?.maxReplicas ?? 0,
      currentReplicas: hpa.status?.currentReplicas ?? null,
      desiredReplicas: hpa.status?.desiredReplicas ?? null,
      labels: record(hpa.metadata?.labels),
      annotations: record(hpa.metadata?.annotations),
    };
  }

  async hpaFor(ref: WorkloadRef): Promise<HpaState | null> {
    const kind = ref.kind === 'Custom' ? ref.resourceKind : ref.kind === 'ConfigMap' ? undefined : ref.kind;
    if (!kind) return null;
    const op = { ...this.#op(ref, 'list'), resource: 'horizontalpodautoscalers', group: 'autoscaling' };
    const list = await this.#call(op, (a) =>
      a.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: ref.namespace }),
    );
    const hpa = list.items.find(
      (h) => h.spec?.scaleTargetRef.kind === kind && h.spec.scaleTargetRef.name === ref.name,
    );
    return hpa ? this.#hpaState(hpa) : null;
  }

  setHpaMinReplicas(ref: WorkloadRef, hpaName: string, minReplicas: number): Promise<Change> {
    const namespace = ref.namespace;
    const base = {
      cluster: ref.cluster,
      resource: 'horizontalpodautoscalers',
      group: 'autoscaling',
      namespace,
      subject: `HorizontalPodAutoscaler ${namespace}/${hpaName}`,
    };
    return this.#retrying(
      base.subject,
      async () => {
        const hpa = await this.#call({ ...base, verb: 'get' }, (a) =>
          a.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: hpaName, namespace }),
        );
        const from = hpa.spec?.minReplicas ?? 1;
        // A merge patch carrying the resourceVersion is refused with 409 if the HPA changed since.
        const body = { metadata: { resourceVersion: hpa.metadata?.resourceVersion }, spec: { minReplicas } };
        await this.#call({ ...base, verb: 'patch' }, (a) =>
          a.autoscaling.patchNamespacedHorizontalPodAutoscaler(
            { name: hpaName, namespace, body, fieldManager: FIELD_MANAGER },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          ),
        );
        return from;
      },
      minReplicas,
    );
  }

  async argoApplication(
    cluster: string,
    namespace: string,
    name: string,
    target: { group: string; kind: string; pointer: string },
  ): Promise<ArgoApplicationState | null> {
    const op = {
      cluster,
      verb: 'get',
      resource: 'applications',
      group: 'argoproj.io',
      namespace,
      subject: `Argo CD Application ${namespace}/${name}`,
    };
    let app: unknown;
    try {
      app = await this.#call(op, (a) =>
        a.custom.getNamespacedCustomObject({
          group: 'argoproj.io',
          version: 'v1alpha1',
          namespace,
          plural: 'applications',
          name,
        }),
      );
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    // Self-heal is part of auto-sync, which Argo CD reads as on when `automated` is there and not
    // `enabled: false` (server/application/application.go, SyncPolicy.IsAutomatedSyncEnabled).
    const automated = getField(app, 'spec.syncPolicy.automated');
    const autoSync =
      typeof automated === 'object' && automated !== null && getField(automated, 'enabled') !== false;
    const selfHeal = autoSync && getField(app, 'spec.syncPolicy.automated.selfHeal') === true;
    const respect = (getField(app, 'spec.syncPolicy.syncOptions') as unknown[] | undefined)?.includes(
      'RespectIgnoreDifferences=true',
    );
    const jq = `.${target.pointer.slice(1).split('/').join('.')}`;
    const rules = (getField(app, 'spec.ignoreDifferences') as Record<string, unknown>[] | undefined) ?? [];
    const covered = rules.some(
      (r) =>
        (r.kind === undefined || r.kind === target.kind) &&
        (r.group === undefined || r.group === target.group || (r.group === '' && target.group === '')) &&
        ((Array.isArray(r.jsonPointers) && r.jsonPointers.includes(target.pointer)) ||
          (Array.isArray(r.jqPathExpressions) && r.jqPathExpressions.includes(jq))),
    );
    return { name, selfHeal, ignores: Boolean(respect) && covered };
  }

  async pods(ref: WorkloadRef, selector: string): Promise<PodReport> {
    const op = { ...this.#op(ref, 'list'), resource: 'pods', group: '' };
    const list = await this.#call(op, (a) =>
      a.core.listNamespacedPod({ namespace: ref.namespace, labelSelector: selector }),
    );
    const problems = new Map<string, PodProblem>();
    let ready = 0;
    for (const pod of list.items) {
      if (isReady(pod)) {
        ready++;
        continue;
      }
      const { reason, message } = whyNotReady(pod);
      const entry = problems.get(reason) ?? { reason, count: 0, message };
      entry.count++;
      problems.set(reason, entry);
    }
    return {
      total: list.items.length,
      ready,
      problems: [...problems.values()].sort((a, b) => b.count - a.count),
    };
  }

  async replicaHistory(ref: WorkloadRef): Promise<ReplicaHistory> {
    const { name, namespace } = ref;
    const object: unknown = await this.#call(this.#op(ref, 'get'), (a) => {
      switch (ref.kind) {
        case 'Deployment':
          return a.apps.readNamespacedDeployment({ name, namespace });
        case 'StatefulSet':
          return a.apps.readNamespacedStatefulSet({ name, namespace });
        case 'ConfigMap':
          return a.core.readNamespacedConfigMap({ name, namespace });
        case 'Custom':
          return a.custom.getNamespacedCustomObject({
            group: ref.group,
            version: ref.version,
            namespace,
            plural: ref.plural,
            name,
          });
      }
    });
    const path = countPath(ref);
    const entries = (getField(object, 'metadata.managedFields') as V1ManagedFieldsEntry[] | undefined) ?? [];
    const writers: ReplicaWriter[] = entries
      .filter((e) => e.manager && e.time && owns(e, path))
      .map((e) => ({
        manager: e.manager ?? '',
        operation: e.operation ?? 'Update',
        subresource: e.subresource || undefined,
        at: new Date(e.time ?? 0),
      }));
    const hpa = await this.hpaFor(ref);
    const subjects = new Set([`${ref.kind === 'Custom' ? (ref.resourceKind ?? '') : ref.kind}/${name}`]);
    if (hpa) subjects.add(`HorizontalPodAutoscaler/${hpa.name}`);
    const op = { ...this.#op(ref, 'list'), resource: 'events', group: '' };
    const list = await this.#call(op, (a) => a.core.listNamespacedEvent({ namespace }));
    const events: ScalingEvent[] = [];
    for (const e of list.items) {
      const object = `${e.involvedObject.kind ?? ''}/${e.involvedObject.name ?? ''}`;
      const at = eventTime(e);
      if (!subjects.has(object) || !SCALING_REASONS.has(e.reason ?? '') || !at) continue;
      events.push({
        reason: e.reason ?? '',
        message: e.message ?? '',
        at,
        object,
        component: e.reportingComponent || e.source?.component || undefined,
      });
    }
    return { writers, events };
  }

  async canI(cluster: string, question: AccessQuestion): Promise<AccessAnswer> {
    const op = {
      cluster,
      verb: 'create',
      resource: 'selfsubjectaccessreviews',
      group: 'authorization.k8s.io',
      namespace: question.namespace,
      subject: `the question whether dpbot may ${question.verb} ${question.resource}`,
    };
    const review = await this.#call(op, (a) =>
      a.authorization.createSelfSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectAccessReview',
          spec: {
            resourceAttributes: {
              verb: question.verb,
              group: question.group,
              resource: question.resource,
              namespace: question.namespace,
              ...(question.subresource ? { subresource: question.subresource } : {}),
              ...(question.name ? { name: question.name } : {}),
            },
          },
        },
      }),
    );
    return { allowed: review.status?.allowed === true, reason: review.status?.reason || undefined };
  }

  async whoAmI(cluster: string): Promise<string | undefined> {
    const op = {
      cluster,
      verb: 'create',
      resource: 'selfsubjectreviews',
      group: 'authentication.k8s.io',
      namespace: '',
      subject: 'who dpbot is',
    };
    try {
      const review = await this.#call(op, (a) =>
        a.authentication.createSelfSubjectReview({
          body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
        }),
      );
      return review.status?.userInfo?.username || undefined;
    } catch (error) {
      // Clusters before 1.28 have no SelfSubjectReview: name the kubeconfig's user instead.
      if (error instanceof NotFoundError) {
        const user = this.#users.get(cluster);
        return user ? `the kubeconfig user "${user}" of context "${cluster}"` : undefined;
      }
      throw error;
    }
  }
}

function isReady(pod: V1Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** What a pod that is not ready says about itself: unschedulable, crash-looping, pulling, ... */
function whyNotReady(pod: V1Pod): { reason: string; message: string | null } {
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False')
    return {
      reason: `${pod.status?.phase ?? 'Pending'}: ${scheduled.reason ?? 'not scheduled'}`,
      message: scheduled.message ?? null,
    };
  for (const status of pod.status?.containerStatuses ?? []) {
    const waiting = status.state?.waiting;
    if (waiting?.reason)
      return {
        reason: `${pod.status?.phase ?? 'Pending'}: ${waiting.reason}`,
        message: waiting.message ?? null,
      };
    const terminated = status.state?.terminated;
    if (terminated)
      return {
        reason: `${pod.status?.phase ?? 'Failed'}: ${terminated.reason ?? 'Terminated'}`,
        message: terminated.message ?? null,
      };
  }
  return { reason: pod.status?.phase ?? 'Unknown', message: pod.status?.message ?? null };
}

/** The kubeconfig's clusters, checked against every team target. */
export function loadClusters(
  config: { kubernetes: KubernetesConfig; teams: TeamTargets },
  deps: { env: KubernetesOptions['env']; resolvePath: (p: string) => string; log: Logger },
): KubeClusters {
  const clusters = new KubeClusters({
    kubeconfig: config.kubernetes.kubeconfig ? deps.resolvePath(config.kubernetes.kubeconfig) : undefined,
    env: deps.env,
    requestTimeoutMs: config.kubernetes.requestTimeout,
    conflictRetries: config.kubernetes.conflictRetries,
    log: deps.log,
  });
  const problems: string[] = [];
  config.teams.forEach((team, i) => {
    team.targets.forEach((target, j) => {
      if (!clusters.contexts.includes(target.cluster))
        problems.push(
          `teams[${i}].targets[${j}].cluster: "${target.cluster}" is not a context of the kubeconfig (it has ${clusters.contexts.join(', ') || 'none'})`,
        );
    });
  });
  if (problems.length > 0) throw new ConfigError('kubernetes', problems);
  return clusters;
}
