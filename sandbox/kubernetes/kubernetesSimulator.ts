// Whole: every kind (workloads, scale, HPAs, custom resources, pods) shares one object store.
import { createHash } from 'node:crypto';
import { type SimRequest, type SimResponse, Simulator } from '../http.ts';
import { isObject, jsonPatch, mergePatch } from './jsonPatch.ts';
import { getField, setField } from './objectFields.ts';

/**
 * A loopback Kubernetes API server, enough of it for dpbot's worker scaling: Deployments and
 * StatefulSets (with the scale subresource), ConfigMaps, custom resources, HorizontalPodAutoscalers
 * (autoscaling/v2), Argo CD Applications (as custom resources) and pods, with resourceVersion
 * conflicts, bearer-token authentication, RBAC denials and Status error bodies shaped like the real
 * API server's, so @kubernetes/client-node works against it unchanged.
 *
 * Nothing moves by itself unless asked: `tick()` lets pods become ready one step, the HPA clamp
 * replicas and Argo CD self-heal revert drift, so tests are deterministic. The sandbox starts it
 * with `autoTickMs` for a lifelike demo.
 */

type KubeObject = Record<string, unknown> & { metadata: Metadata };

interface Metadata {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  creationTimestamp: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
}

/** How pods that cannot become ready report themselves. */
export type StuckReason = 'Unschedulable' | 'CrashLoopBackOff' | 'ImagePullBackOff';

export interface PodsSeed {
  /** Pod labels (the selector that finds them). */
  labels: Record<string, string>;
  /** Ready pods at the start (default: all). */
  ready?: number;
  /** At most this many pods can become ready; the rest stay stuck (default: no limit). */
  capacity?: number;
  stuck?: StuckReason;
}

export interface WorkloadSeed {
  kind: 'Deployment' | 'StatefulSet';
  namespace: string;
  name: string;
  replicas: number;
  ready?: number;
  capacity?: number;
  stuck?: StuckReason;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Managed by this Argo CD application (adds its tracking label and annotation); Git says `gitReplicas`. */
  argo?: { app: string; gitReplicas: number };
}

export interface ConfigMapSeed {
  namespace: string;
  name: string;
  data: Record<string, string>;
  labels?: Record<string, string>;
  /** Pods whose count follows the integer in `data[key]`. */
  pods?: PodsSeed & { key: string };
}

export interface CustomObjectSeed {
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespace: string;
  name: string;
  spec: Record<string, unknown>;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Pods whose count follows the integer at `field` (a dotted path such as spec.job.parallelism). */
  pods?: PodsSeed & { field: string };
}

export interface HpaSeed {
  namespace: string;
  name: string;
  target: { kind: string; name: string; apiVersion?: string };
  minReplicas: number;
  maxReplicas: number;
}

export interface ArgoApplicationSeed {
  name: string;
  /** Where Argo CD keeps its Application objects (default `argocd`). */
  namespace?: string;
  selfHeal: boolean;
  /** Whether `ignoreDifferences` lists /spec/replicas for Deployments and StatefulSets. */
  ignoreReplicas?: boolean;
  /** Whether the sync options include RespectIgnoreDifferences=true. */
  respectIgnoreDifferences?: boolean;
  destinationNamespace: string;
}

export interface ForbidRule {
  verb: string;
  /** `deployments/scale`, `horizontalpodautoscalers`, `pods`, ... */
  resource: string;
  namespace?: string;
}

/** The objects and how many pods are ready, as JSON: what a restart of the sandbox keeps. */
export interface ClusterSnapshot {
  version: number;
  objects: [key: string, object: Record<string, unknown>][];
  ready: [key: string, ready: number][];
  /** The events still kept (older snapshots have none). */
  events?: Record<string, unknown>[];
}

export interface KubernetesSimulatorOptions {
  /** The bearer token the server accepts (default `sandbox-token`). */
  token?: string;
  /** Pods that become ready per tick (default 1). */
  readyStep?: number;
  /** Tick on a timer (the sandbox; never in tests). */
  autoTickMs?: number;
  /** The server's clock: managedFields times and events (default the wall clock). */
  now?: () => Date;
}

/** One entry of metadata.managedFields (meta/v1 ManagedFieldsEntry). */
interface ManagedFields {
  manager: string;
  operation: 'Update' | 'Apply';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}

/** Who writes, as the API server names the field manager of a request. */
interface Writer {
  manager: string;
  operation: 'Update' | 'Apply';
  subresource?: string;
}

/**
 * The API server keeps events for an hour (kube-apiserver --event-ttl, default 1h0m0s:
 * kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/).
 */
const EVENT_TTL_MS = 60 * 60 * 1000;
/** Controllers' field managers: the HPA writes through the scale subresource as kube-controller-manager. */
const HPA_WRITER: Writer = { manager: 'kube-controller-manager', operation: 'Update', subresource: 'scale' };
/** Argo CD's controller's field manager (argo-cd common.ArgoCDSSAManager). */
const ARGOCD_WRITER: Writer = { manager: 'argocd-controller', operation: 'Update' };

/** metav1.Time: RFC 3339 with whole seconds, as the API server writes managedFields times and event timestamps. */
const seconds = (at: Date) => `${at.toISOString().slice(0, 19)}Z`;

/** The user-settable parts of an object whose changes move field ownership. */
const OWNED_ROOTS = ['spec', 'data', 'metadata.labels', 'metadata.annotations'];

/** The leaf paths where two values differ (a path ending where one side is not an object). */
function changedPaths(before: unknown, after: unknown, prefix: string[]): string[][] {
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    return [...keys].flatMap((k) => changedPaths(before[k], after[k], [...prefix, k]));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [prefix];
}

function addField(set: Record<string, unknown>, path: readonly string[]): void {
  let node = set;
  for (const part of path) {
    const key = `f:${part}`;
    const next = node[key];
    node[key] = isObject(next) ? next : {};
    node = node[key] as Record<string, unknown>;
  }
}

/** Removes a path (and whatever it held) from a fieldsV1 set, and parents left empty. */
function removeField(set: Record<string, unknown>, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = `f:${head}`;
  const child = set[key];
  if (!isObject(child)) return;
  if (rest.length === 0) delete set[key];
  else {
    removeField(child, rest);
    if (Object.keys(child).length === 0) delete set[key];
  }
}

interface Scalable {
  ready: number;
  capacity: number;
  stuck: StuckReason;
  labels: Record<string, string>;
  /** The desired count, read from the object each time. */
  desired: (object: KubeObject) => number;
}

const CREATED = '2026-01-05T09:00:00Z';
const SERVICE_ACCOUNT = 'system:serviceaccount:dpbot:dpbot';
const TRACKING_LABEL = 'app.kubernetes.io/instance';
const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

const BUILTIN: Record<string, ResourceType> = {
  deployments: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
  statefulsets: { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet' },
  configmaps: { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap' },
  horizontalpodautoscalers: {
    group: 'autoscaling',
    version: 'v2',
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
  },
};

const ARGO_APPLICATIONS: ResourceType = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'applications',
  kind: 'Application',
};

/** `deployments.apps`, `configmaps`: how the API server names a resource in messages. */
const qualified = (type: ResourceType) => (type.group ? `${type.plural}.${type.group}` : type.plural);
const apiVersionOf = (type: ResourceType) => (type.group ? `${type.group}/${type.version}` : type.version);

function status(code: number, reason: string, message: string, details?: object): SimResponse {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}

function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export class KubernetesSimulator {
  readonly server: Simulator;
  readonly token: string;
  readonly #step: number;
  readonly #objects = new Map<string, KubeObject>();
  readonly #types = new Map<string, ResourceType>();
  readonly #scalables = new Map<string, Scalable>();
  readonly #argoGit = new Map<string, { app: string; gitReplicas: number }>();
  readonly #forbidden: ForbidRule[] = [];
  readonly #afterRead = new Map<string, { change: (object: KubeObject) => void; on: 'any' | 'scale' }>();
  readonly #autoTickMs: number | undefined;
  readonly #now: () => Date;
  #events: Record<string, unknown>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #version = 1000;

  constructor(options: KubernetesSimulatorOptions = {}) {
    this.token = options.token ?? 'sandbox-token';
    this.#step = options.readyStep ?? 1;
    this.#autoTickMs = options.autoTickMs;
    this.#now = options.now ?? (() => new Date());
    for (const type of Object.values(BUILTIN)) this.#types.set(qualified(type), type);
    this.#types.set(qualified(ARGO_APPLICATIONS), ARGO_APPLICATIONS);
    this.server = new Simulator('kubernetes');
    this.#routes();
  }

  get url(): string {
    return this.server.url;
  }

  /** Every request the server received, for assertions. */
  get requests() {
    return this.server.requests;
  }

  async start(port = 0): Promise<string> {
    const url = await this.server.start(port);
    if (this.#autoTickMs) {
      this.#timer = setInterval(() => this.tick(), this.#autoTickMs);
      this.#timer.unref();
    }
    return url;
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.server.stop();
  }

  /** A kubeconfig (YAML) whose context `context` points at this server with its token. */
  kubeconfig(contexts: readonly string[] = ['sandbox']): string {
    const lines = ['apiVersion: v1', 'kind: Config', `current-context: ${contexts[0] ?? 'sandbox'}`];
    lines.push('clusters:');
    for (const c of contexts)
      lines.push(
        `  - name: ${c}`,
        '    cluster:',
        `      server: ${this.url}`,
        // The simulator speaks plain HTTP on loopback; the client insists on this flag for http.
        '      insecure-skip-tls-verify: true',
      );
    lines.push('users:');
    for (const c of contexts) lines.push(`  - name: ${c}-dpbot`, '    user:', `      token: ${this.token}`);
    lines.push('contexts:');
    for (const c of contexts)
      lines.push(`  - name: ${c}`, '    context:', `      cluster: ${c}`, `      user: ${c}-dpbot`);
    return `${lines.join('\n')}\n`;
  }

  // --- seeding --------------------------------------------------------------------------------

  addWorkload(seed: WorkloadSeed): this {
    const type = seed.kind === 'Deployment' ? BUILTIN.deployments : BUILTIN.statefulsets;
    if (!type) throw new Error('unknown workload kind');
    const selector = { app: seed.name };
    const labels: Record<string, string> = { ...selector, ...seed.labels };
    const annotations: Record<string, string> = { ...seed.annotations };
    if (seed.argo) {
      labels[TRACKING_LABEL] = seed.argo.app;
      annotations[TRACKING_ANNOTATION] = `${seed.argo.app}:apps/${seed.kind}:${seed.namespace}/${seed.name}`;
    }
    const object = this.#store(type, seed.namespace, seed.name, {
      metadata: { labels, annotations },
      spec: {
        replicas: seed.replicas,
        selector: { matchLabels: selector },
        ...(seed.kind === 'StatefulSet' ? { serviceName: seed.name } : {}),
        template: {
          metadata: { labels: selector },
          spec: { containers: [{ name: 'worker', image: `registry.example.com/${seed.name}:1.0.0` }] },
        },
      },
      status: {},
    });
    const key = this.#key(type, seed.namespace, seed.name);
    this.#scalables.set(key, {
      ready: seed.ready ?? seed.replicas,
      capacity: seed.capacity ?? Number.POSITIVE_INFINITY,
      stuck: seed.stuck ?? 'Unschedulable',
      labels: selector,
      desired: (o) => Number(getField(o, 'spec.replicas') ?? 0),
    });
    if (seed.argo) this.#argoGit.set(key, seed.argo);
    this.#syncStatus(object);
    return this;
  }

  addConfigMap(seed: ConfigMapSeed): this {
    const type = BUILTIN.configmaps as ResourceType;
    this.#store(type, seed.namespace, seed.name, {
      metadata: { labels: { ...seed.labels } },
      data: { ...seed.data },
    });
    if (seed.pods) {
      const key = seed.pods.key;
      this.#addPods(this.#key(type, seed.namespace, seed.name), seed.pods, (o) =>
        Number.parseInt(String(getField(o, `data.${key}`) ?? '0'), 10),
      );
    }
    return this;
  }

  addCustomObject(seed: CustomObjectSeed): this {
    const type: ResourceType = {
      group: seed.group,
      version: seed.version,
      plural: seed.plural,
      kind: seed.kind,
    };
    this.#types.set(qualified(type), type);
    this.#store(type, seed.namespace, seed.name, {
      metadata: { labels: { ...seed.labels }, annotations: { ...seed.annotations } },
      spec: structuredClone(seed.spec),
    });
    if (seed.pods) {
      const field = seed.pods.field;
      this.#addPods(this.#key(type, seed.namespace, seed.name), seed.pods, (o) =>
        Number(getField(o, field) ?? 0),
      );
    }
    return this;
  }

  addHpa(seed: HpaSeed): this {
    const type = BUILTIN.horizontalpodautoscalers as ResourceType;
    this.#store(type, seed.namespace, seed.name, {
      spec: {
        scaleTargetRef: {
          apiVersion: seed.target.apiVersion ?? 'apps/v1',
          kind: seed.target.kind,
          name: seed.target.name,
        },
        minReplicas: seed.minReplicas,
        maxReplicas: seed.maxReplicas,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
          },
        ],
      },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
    this.tickControllers();
    return this;
  }

  addArgoApplication(seed: ArgoApplicationSeed): this {
    const ignore = seed.ignoreReplicas
      ? [
          { group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] },
          { group: 'apps', kind: 'StatefulSet', jsonPointers: ['/spec/replicas'] },
        ]
      : [];
    this.#store(ARGO_APPLICATIONS, seed.namespace ?? 'argocd', seed.name, {
      spec: {
        project: 'default',
        source: {
          repoURL: 'https://git.example.com/platform/deploy.git',
          path: seed.name,
          targetRevision: 'main',
        },
        destination: { server: 'https://kubernetes.default.svc', namespace: seed.destinationNamespace },
        syncPolicy: {
          automated: { prune: true, selfHeal: seed.selfHeal },
          syncOptions: seed.respectIgnoreDifferences ? ['RespectIgnoreDifferences=true'] : [],
        },
        ...(ignore.length ? { ignoreDifferences: ignore } : {}),
      },
      status: { sync: { status: 'Synced' }, health: { status: 'Healthy' } },
    });
    return this;
  }

  /** Denies a verb on a resource to dpbot's service account (an RBAC gap). */
  forbid(rule: ForbidRule): this {
    this.#forbidden.push(rule);
    return this;
  }

  allowAll(): void {
    this.#forbidden.length = 0;
  }

  /**
   * Another writer changes the object right after the next read of it (of its scale subresource
   * only, with `on: 'scale'`), so a write based on that read carries a stale resourceVersion and
   * gets 409 Conflict.
   */
  changeAfterNextRead(
    kind: string,
    namespace: string,
    name: string,
    change: (object: KubeObject) => void,
    on: 'any' | 'scale' = 'any',
  ): this {
    const type = this.#typeOfKind(kind);
    this.#afterRead.set(this.#key(type, namespace, name), { change, on });
    return this;
  }

  /** Changes an object as another client would (bumps its resourceVersion). */
  update(kind: string, namespace: string, name: string, change: (object: KubeObject) => void): void {
    const type = this.#typeOfKind(kind);
    const object = this.#objects.get(this.#key(type, namespace, name));
    if (!object) throw new Error(`no ${kind} ${namespace}/${name}`);
    change(object);
    this.#bump(object);
    this.#syncStatus(object);
  }

  /** A copy of a stored object, for assertions. */
  get(kind: string, namespace: string, name: string): KubeObject | undefined {
    const object = this.#objects.get(this.#key(this.#typeOfKind(kind), namespace, name));
    return object ? structuredClone(object) : undefined;
  }

  replicas(kind: string, namespace: string, name: string): number | undefined {
    const object = this.get(kind, namespace, name);
    if (!object) return undefined;
    const scalable = this.#scalables.get(this.#key(this.#typeOfKind(kind), namespace, name));
    return scalable ? scalable.desired(object) : undefined;
  }

  /** Bumped by every change; a snapshot taken at the same version holds the same state. */
  get version(): number {
    return this.#version;
  }

  /** The state now, to be restored by a later simulator seeded the same way. */
  snapshot(): ClusterSnapshot {
    return {
      version: this.#version,
      objects: [...this.#objects].map(([key, object]) => [key, structuredClone(object)]),
      ready: [...this.#scalables].map(([key, s]) => [key, s.ready]),
      events: structuredClone(this.#events),
    };
  }

  /**
   * Puts a snapshot's objects in place of the seeded ones with the same kind, namespace and name
   * (others are left out: the seed says what exists), with their ready pods.
   */
  restore(snapshot: ClusterSnapshot): this {
    for (const [key, object] of snapshot.objects)
      if (this.#objects.has(key)) this.#objects.set(key, structuredClone(object) as KubeObject);
    for (const [key, ready] of snapshot.ready) {
      const scalable = this.#scalables.get(key);
      if (scalable) scalable.ready = ready;
    }
    this.#version = Math.max(this.#version, snapshot.version);
    this.#events = structuredClone(snapshot.events ?? []);
    for (const object of this.#objects.values()) this.#syncStatus(object);
    return this;
  }

  ready(kind: string, namespace: string, name: string): number | undefined {
    return this.#scalables.get(this.#key(this.#typeOfKind(kind), namespace, name))?.ready;
  }

  /** Lets pods start (one step toward what each workload wants) and runs the controllers. */
  tick(times = 1): void {
    for (let i = 0; i < times; i++) {
      this.tickControllers();
      for (const [key, scalable] of this.#scalables) {
        const object = this.#objects.get(key);
        if (!object) continue;
        const desired = scalable.desired(object);
        const reachable = Math.min(desired, scalable.capacity);
        if (scalable.ready > desired) scalable.ready = desired;
        else if (scalable.ready < reachable)
          scalable.ready = Math.min(reachable, scalable.ready + this.#step);
        if (this.#syncStatus(object)) this.#bump(object);
      }
    }
  }

  /** The HPA clamps replicas into its range (unless scaled to 0); Argo CD self-heal reverts drift. */
  tickControllers(): void {
    for (const hpa of this.#ofType(BUILTIN.horizontalpodautoscalers as ResourceType)) {
      const ref = getField(hpa, 'spec.scaleTargetRef') as { kind: string; name: string };
      const target = this.#findScalable(ref.kind, hpa.metadata.namespace, ref.name);
      if (!target) continue;
      const current = target.scalable.desired(target.object);
      const min = Number(getField(hpa, 'spec.minReplicas') ?? 1);
      const max = Number(getField(hpa, 'spec.maxReplicas'));
      // An HPA leaves a workload scaled to 0 alone: that is how it is paused.
      const desired = current === 0 ? 0 : Math.min(max, Math.max(min, current));
      if (desired !== current) {
        const before = structuredClone(target.object);
        Object.assign(target.object, setField(target.object, 'spec.replicas', desired));
        this.#bump(target.object);
        this.#written(before, target.object, HPA_WRITER);
        // pkg/controller/podautoscaler/horizontal.go: the rescale event, on the HPA.
        this.#event(
          hpa,
          'horizontal-pod-autoscaler',
          'SuccessfulRescale',
          `New size: ${desired}; reason: ${
            desired > current
              ? 'Current number of replicas below Spec.MinReplicas'
              : 'Current number of replicas above Spec.MaxReplicas'
          }`,
        );
      }
      hpa.status = { currentReplicas: current, desiredReplicas: desired };
    }
    for (const [key, git] of this.#argoGit) {
      const object = this.#objects.get(key);
      const app = this.#objects.get(this.#key(ARGO_APPLICATIONS, 'argocd', git.app));
      if (!object || !app) continue;
      // Argo CD's controller self-heals only while auto-sync is on: `automated` present and not
      // `enabled: false` (Argo CD ≥ 3.1).
      const automated = getField(app, 'spec.syncPolicy.automated');
      const selfHeal =
        typeof automated === 'object' &&
        automated !== null &&
        getField(automated, 'enabled') !== false &&
        getField(automated, 'selfHeal') === true;
      const ignores =
        JSON.stringify(getField(app, 'spec.ignoreDifferences') ?? []).includes('/spec/replicas') &&
        JSON.stringify(getField(app, 'spec.syncPolicy.syncOptions') ?? []).includes(
          'RespectIgnoreDifferences=true',
        );
      if (selfHeal && !ignores && getField(object, 'spec.replicas') !== git.gitReplicas) {
        const before = structuredClone(object);
        Object.assign(object, setField(object, 'spec.replicas', git.gitReplicas));
        this.#bump(object);
        this.#written(before, object, ARGOCD_WRITER);
      }
    }
  }

  // --- storage ----------------------------------------------------------------------------------

  #key(type: ResourceType, namespace: string, name: string): string {
    return `${qualified(type)}|${namespace}|${name}`;
  }

  #typeOfKind(kind: string): ResourceType {
    for (const type of this.#types.values()) if (type.kind === kind || type.plural === kind) return type;
    throw new Error(`the simulator knows no kind "${kind}"`);
  }

  #ofType(type: ResourceType): KubeObject[] {
    const prefix = `${qualified(type)}|`;
    return [...this.#objects.entries()].filter(([k]) => k.startsWith(prefix)).map(([, o]) => o);
  }

  #findScalable(kind: string, namespace: string, name: string) {
    for (const type of this.#types.values()) {
      if (type.kind !== kind) continue;
      const key = this.#key(type, namespace, name);
      const object = this.#objects.get(key);
      const scalable = this.#scalables.get(key);
      if (object && scalable) return { object, scalable };
    }
    return undefined;
  }

  #store(
    type: ResourceType,
    namespace: string,
    name: string,
    content: { metadata?: Partial<Metadata> } & Record<string, unknown>,
  ): KubeObject {
    const uid = createHash('sha1')
      .update(`${qualified(type)}/${namespace}/${name}`)
      .digest('hex');
    const object: KubeObject = {
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      ...content,
      metadata: {
        ...content.metadata,
        name,
        namespace,
        uid: `${uid.slice(0, 8)}-${uid.slice(8, 12)}-${uid.slice(12, 16)}-${uid.slice(16, 20)}-${uid.slice(20, 32)}`,
        resourceVersion: String(++this.#version),
        creationTimestamp: CREATED,
        generation: 1,
      },
    };
    this.#objects.set(this.#key(type, namespace, name), object);
    return object;
  }

  #addPods(key: string, seed: PodsSeed, desired: (o: KubeObject) => number): void {
    const object = this.#objects.get(key);
    this.#scalables.set(key, {
      ready: seed.ready ?? (object ? desired(object) : 0),
      capacity: seed.capacity ?? Number.POSITIVE_INFINITY,
      stuck: seed.stuck ?? 'Unschedulable',
      labels: seed.labels,
      desired,
    });
  }

  #bump(object: KubeObject): void {
    object.metadata.resourceVersion = String(++this.#version);
  }

  /**
   * What the API server does after a write: the fields the write changed move to its manager in
   * metadata.managedFields, with the time (an Update takes ownership of what it changed from
   * everyone else: kubernetes.io/docs/reference/using-api/server-side-apply/, "Using Update");
   * and the controllers record what a new count made them do, as events.
   */
  #written(before: KubeObject, after: KubeObject, writer: Writer): void {
    const changed = OWNED_ROOTS.flatMap((root) =>
      changedPaths(getField(before, root), getField(after, root), root.split('.')),
    );
    const managed = ((before.metadata.managedFields as ManagedFields[] | undefined) ?? []).map((m) =>
      structuredClone(m),
    );
    if (changed.length > 0) {
      for (const entry of managed) for (const path of changed) removeField(entry.fieldsV1, path);
      const same = (m: ManagedFields) =>
        m.manager === writer.manager &&
        m.operation === writer.operation &&
        m.subresource === writer.subresource;
      let mine = managed.find(same);
      if (!mine) {
        mine = {
          manager: writer.manager,
          operation: writer.operation,
          apiVersion: String(after.apiVersion),
          time: '',
          fieldsType: 'FieldsV1',
          fieldsV1: {},
          ...(writer.subresource ? { subresource: writer.subresource } : {}),
        };
        managed.push(mine);
      }
      for (const path of changed)
        if (getField(after, path.join('.')) !== undefined) addField(mine.fieldsV1, path);
      mine.time = seconds(this.#now());
    }
    // An entry left owning nothing is dropped, as the API server drops it.
    const kept = managed.filter((m) => Object.keys(m.fieldsV1).length > 0);
    if (kept.length > 0) after.metadata.managedFields = kept;
    else delete after.metadata.managedFields;
    if (after.kind === 'Deployment') {
      const from = Number(getField(before, 'spec.replicas') ?? 0);
      const to = Number(getField(after, 'spec.replicas') ?? 0);
      // pkg/controller/deployment/sync.go (scaleReplicaSet): the event on the Deployment.
      if (from !== to)
        this.#event(
          after,
          'deployment-controller',
          'ScalingReplicaSet',
          `Scaled ${to > from ? 'up' : 'down'} replica set ${after.metadata.name}-${this.#templateHash(after)} from ${from} to ${to}`,
        );
    }
  }

  #templateHash(object: KubeObject): string {
    return createHash('sha1').update(object.metadata.name).digest('hex').slice(0, 9);
  }

  /** A core/v1 Event as the controllers' event recorders write it. */
  #event(about: KubeObject, component: string, reason: string, message: string): void {
    const at = seconds(this.#now());
    const name = `${about.metadata.name}.${createHash('sha1')
      .update(`${this.#version}|${this.#events.length}|${reason}`)
      .digest('hex')
      .slice(0, 16)}`;
    this.#events.push({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name,
        namespace: about.metadata.namespace,
        uid: createHash('sha1')
          .update(name)
          .digest('hex')
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, '$1-$2-$3-$4-$5'),
        resourceVersion: String(++this.#version),
        creationTimestamp: at,
      },
      involvedObject: {
        apiVersion: String(about.apiVersion),
        kind: about.kind,
        namespace: about.metadata.namespace,
        name: about.metadata.name,
        uid: about.metadata.uid,
        resourceVersion: about.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: at,
      lastTimestamp: at,
      count: 1,
      type: 'Normal',
      reportingComponent: component,
      reportingInstance: '',
    });
  }

  /**
   * The field manager of a request: `fieldManager` when given (at most 128 printable characters),
   * else the User-Agent up to its first "/" (k8s.io/apiserver pkg/endpoints/handlers/rest.go,
   * prefixFromUserAgent); the simulator refuses an over-long one with 422 as the server does.
   */
  #writer(req: SimRequest, subresource?: string): Writer | SimResponse {
    const given = req.query.get('fieldManager');
    if (given !== null && (given.length > 128 || !/^[\x20-\x7e]*$/.test(given)))
      return status(
        422,
        'Invalid',
        `fieldManager: Invalid value: ${JSON.stringify(given)}: must be less than 128 printable characters`,
      );
    const agent = String(req.headers['user-agent'] ?? '');
    const manager = given || agent.split('/')[0]?.slice(0, 128) || '';
    const apply = String(req.headers['content-type'] ?? '').includes('apply-patch');
    return { manager, operation: apply ? 'Apply' : 'Update', ...(subresource ? { subresource } : {}) };
  }

  #eventList(req: SimRequest): SimResponse {
    return this.#guard(req, 'list', 'events', '', '', () => {
      const oldest = this.#now().getTime() - EVENT_TTL_MS;
      this.#events = this.#events.filter((e) => Date.parse(String(getField(e, 'lastTimestamp'))) >= oldest);
      return {
        body: {
          apiVersion: 'v1',
          kind: 'EventList',
          metadata: { resourceVersion: String(this.#version) },
          items: this.#events
            .filter((e) => getField(e, 'metadata.namespace') === req.params.ns)
            .map((e) => structuredClone(e)),
        },
      };
    });
  }

  /** Writes a workload's status from its pods; returns whether it changed. */
  #syncStatus(object: KubeObject): boolean {
    if (object.kind !== 'Deployment' && object.kind !== 'StatefulSet') return false;
    const scalable = this.#scalables.get(
      this.#key(this.#typeOfKind(object.kind), object.metadata.namespace, object.metadata.name),
    );
    if (!scalable) return false;
    const desired = scalable.desired(object);
    const ready = Math.min(scalable.ready, desired);
    const next: Record<string, unknown> = {
      observedGeneration: object.metadata.generation ?? 1,
      replicas: desired,
      // The API server leaves out a zero count (omitempty), so "none ready" is an absent field; a
      // client that reads a missing readyReplicas as unknown rather than 0 is wrong against it.
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      ...(ready > 0 || object.kind === 'StatefulSet' ? { availableReplicas: ready } : {}),
      updatedReplicas: desired,
      ...(object.kind === 'StatefulSet' ? { currentReplicas: desired } : {}),
      ...(object.kind === 'Deployment'
        ? {
            conditions: [
              {
                type: 'Available',
                status: ready >= desired ? 'True' : 'False',
                reason: ready >= desired ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
                lastTransitionTime: CREATED,
                lastUpdateTime: CREATED,
              },
            ],
          }
        : {}),
    };
    const changed = JSON.stringify(object.status) !== JSON.stringify(next);
    object.status = next;
    return changed;
  }

  // --- HTTP ---------------------------------------------------------------------------------------

  #routes(): void {
    const s = this.server;
    s.route('GET', '/version', (req) =>
      this.#guard(req, 'get', '', '', '', () => ({
        body: { major: '1', minor: '31', gitVersion: 'v1.31.0-dpbot-sim', platform: 'linux/amd64' },
      })),
    );
    // apps/v1: Deployments and StatefulSets, and their scale subresource.
    s.route('GET', '/apis/apps/v1/namespaces/:ns/:plural', (req) => this.#list(req, this.#apps(req)));
    for (const method of ['GET', 'PUT', 'PATCH'] as const) {
      s.route(method, '/apis/apps/v1/namespaces/:ns/:plural/:name', (req) =>
        this.#object(req, this.#apps(req)),
      );
      s.route(method, '/apis/apps/v1/namespaces/:ns/:plural/:name/scale', (req) =>
        this.#scale(req, this.#apps(req)),
      );
      s.route(method, '/api/v1/namespaces/:ns/configmaps/:name', (req) =>
        this.#object(req, BUILTIN.configmaps),
      );
      s.route(method, '/apis/autoscaling/v2/namespaces/:ns/horizontalpodautoscalers/:name', (req) =>
        this.#object(req, BUILTIN.horizontalpodautoscalers),
      );
      s.route(method, '/apis/:group/:version/namespaces/:ns/:plural/:name', (req) =>
        this.#object(req, this.#types.get(`${req.params.plural}.${req.params.group}`)),
      );
    }
    s.route('GET', '/apis/autoscaling/v2/namespaces/:ns/horizontalpodautoscalers', (req) =>
      this.#list(req, BUILTIN.horizontalpodautoscalers),
    );
    s.route('GET', '/api/v1/namespaces/:ns/pods', (req) => this.#pods(req));
    s.route('GET', '/api/v1/namespaces/:ns/events', (req) => this.#eventList(req));
    // Every authenticated user may ask these (the system:basic-user ClusterRole).
    s.route('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (req) =>
      this.#guard(req, 'create', '', '', '', () => this.#accessReview(req)),
    );
    s.route('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', (req) =>
      this.#guard(req, 'create', '', '', '', () => ({
        status: 201,
        body: {
          kind: 'SelfSubjectReview',
          apiVersion: 'authentication.k8s.io/v1',
          metadata: {},
          status: {
            userInfo: {
              username: SERVICE_ACCOUNT,
              uid: '6f1b2a3c-0000-4000-8000-00000000d9b7',
              groups: ['system:serviceaccounts', 'system:serviceaccounts:dpbot', 'system:authenticated'],
            },
          },
        },
      })),
    );
  }

  /**
   * A SelfSubjectAccessReview, answered from the same rules that make requests forbidden: the
   * review and the request it asks about never disagree.
   */
  #accessReview(req: SimRequest): SimResponse {
    const spec = (isObject(req.body) ? req.body.spec : undefined) as
      | { resourceAttributes?: Record<string, unknown> }
      | undefined;
    const attrs = spec?.resourceAttributes;
    if (!attrs || typeof attrs.verb !== 'string' || typeof attrs.resource !== 'string')
      return status(
        422,
        'Invalid',
        'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified',
      );
    const resource = `${attrs.resource}${typeof attrs.subresource === 'string' && attrs.subresource ? `/${attrs.subresource}` : ''}`;
    const ns = typeof attrs.namespace === 'string' ? attrs.namespace : '';
    const denied = this.#forbidden.some(
      (r) =>
        r.verb === attrs.verb && r.resource === resource && (r.namespace === undefined || r.namespace === ns),
    );
    return {
      status: 201,
      body: {
        kind: 'SelfSubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: {},
        spec: { resourceAttributes: attrs },
        status: denied
          ? { allowed: false }
          : {
              allowed: true,
              reason: `RBAC: allowed by RoleBinding "dpbot/${ns}" of Role "dpbot-scaler" to ServiceAccount "dpbot/dpbot"`,
            },
      },
    };
  }

  #apps(req: SimRequest): ResourceType | undefined {
    const type = BUILTIN[req.params.plural ?? ''];
    return type?.group === 'apps' ? type : undefined;
  }

  /** Authentication, then RBAC, then the handler. */
  #guard(
    req: SimRequest,
    verb: string,
    resource: string,
    group: string,
    name: string,
    handler: () => SimResponse,
  ): SimResponse {
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return status(401, 'Unauthorized', 'Unauthorized');
    const ns = req.params.ns ?? '';
    const denied = this.#forbidden.find(
      (r) => r.verb === verb && r.resource === resource && (r.namespace === undefined || r.namespace === ns),
    );
    if (denied) {
      const what = `${group ? `${resource.split('/')[0]}.${group}` : resource.split('/')[0]}${name ? ` "${name}"` : ''}`;
      return status(
        403,
        'Forbidden',
        `${what} is forbidden: User "${SERVICE_ACCOUNT}" cannot ${verb} resource "${resource}" in API group "${group}" in the namespace "${ns}"`,
        { name, group, kind: resource.split('/')[0] },
      );
    }
    return handler();
  }

  #verb(method: string): string {
    return method === 'GET' ? 'get' : method === 'PUT' ? 'update' : 'patch';
  }

  #notFound(type: ResourceType, name: string): SimResponse {
    return status(404, 'NotFound', `${qualified(type)} "${name}" not found`, {
      name,
      group: type.group,
      kind: type.plural,
    });
  }

  #conflict(type: ResourceType, name: string): SimResponse {
    return status(
      409,
      'Conflict',
      `Operation cannot be fulfilled on ${qualified(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group: type.group, kind: type.plural },
    );
  }

  #invalid(type: ResourceType, name: string, field: string, value: unknown, why: string): SimResponse {
    return status(
      422,
      'Invalid',
      `${type.kind}.${type.group || 'core'} "${name}" is invalid: ${field}: Invalid value: ${JSON.stringify(value)}: ${why}`,
      {
        name,
        group: type.group,
        kind: type.kind,
        causes: [{ reason: 'FieldValueInvalid', message: why, field }],
      },
    );
  }

  #read(type: ResourceType, req: SimRequest): KubeObject | undefined {
    return this.#objects.get(this.#key(type, req.params.ns ?? '', req.params.name ?? ''));
  }

  /** Runs the interference queued for an object right after a read of it was answered. */
  #afterReadOf(type: ResourceType, namespace: string, name: string, via: 'object' | 'scale'): void {
    const key = this.#key(type, namespace, name);
    const pending = this.#afterRead.get(key);
    const object = this.#objects.get(key);
    if (!pending || !object || (pending.on === 'scale' && via !== 'scale')) return;
    this.#afterRead.delete(key);
    pending.change(object);
    this.#bump(object);
    this.#syncStatus(object);
  }

  #list(req: SimRequest, type: ResourceType | undefined): SimResponse {
    if (!type) return status(404, 'NotFound', 'the server could not find the requested resource');
    return this.#guard(req, 'list', type.plural, type.group, '', () => ({
      body: {
        apiVersion: apiVersionOf(type),
        kind: `${type.kind}List`,
        metadata: { resourceVersion: String(this.#version) },
        items: this.#ofType(type)
          .filter((o) => o.metadata.namespace === req.params.ns)
          .map((o) => structuredClone(o)),
      },
    }));
  }

  #object(req: SimRequest, type: ResourceType | undefined): SimResponse {
    if (!type) return status(404, 'NotFound', 'the server could not find the requested resource');
    const name = req.params.name ?? '';
    return this.#guard(req, this.#verb(req.method), type.plural, type.group, name, () => {
      const current = this.#read(type, req);
      if (!current) return this.#notFound(type, name);
      if (req.method === 'GET') {
        const body = structuredClone(current);
        this.#afterReadOf(type, current.metadata.namespace, name, 'object');
        return { body };
      }
      const writer = this.#writer(req);
      if (!('manager' in writer)) return writer;
      let next: unknown;
      if (req.method === 'PUT') next = req.body;
      else {
        const patched = this.#patch(current, req);
        if ('status' in patched) return patched.status;
        next = patched.value;
      }
      if (!isObject(next) || !isObject(next.metadata))
        return status(400, 'BadRequest', 'the body must be an object with metadata');
      const rv = next.metadata.resourceVersion;
      if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion)
        return this.#conflict(type, name);
      if (next.metadata.name !== undefined && next.metadata.name !== name)
        return status(
          400,
          'BadRequest',
          `the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`,
        );
      const replicas = getField(next, 'spec.replicas');
      if (replicas !== undefined && !isNonNegativeInt(replicas))
        return this.#invalid(type, name, 'spec.replicas', replicas, 'must be greater than or equal to 0');
      const updated: KubeObject = {
        ...(next as Record<string, unknown>),
        apiVersion: current.apiVersion,
        kind: current.kind,
        // The main resource's PUT does not change status; the controllers own it.
        ...(current.status !== undefined ? { status: current.status } : {}),
        metadata: {
          ...(next.metadata as Partial<Metadata>),
          name,
          namespace: current.metadata.namespace,
          uid: current.metadata.uid,
          creationTimestamp: current.metadata.creationTimestamp,
          resourceVersion: current.metadata.resourceVersion,
          generation:
            (current.metadata.generation ?? 1) +
            (JSON.stringify(next.spec) !== JSON.stringify(current.spec) ? 1 : 0),
          // The server keeps managedFields itself; what a client sends there is not taken as is.
          managedFields: current.metadata.managedFields,
        },
      };
      this.#bump(updated);
      this.#written(current, updated, writer);
      this.#objects.set(this.#key(type, current.metadata.namespace, name), updated);
      this.#syncStatus(updated);
      return { body: structuredClone(updated) };
    });
  }

  #patch(current: unknown, req: SimRequest): { value: unknown } | { status: SimResponse } {
    const contentType = String(req.headers['content-type'] ?? '');
    try {
      if (contentType.includes('application/json-patch+json')) return { value: jsonPatch(current, req.body) };
      if (contentType.includes('merge-patch+json')) return { value: mergePatch(current, req.body) };
      return {
        status: status(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        ),
      };
    } catch (error) {
      return { status: status(422, 'Invalid', String(error instanceof Error ? error.message : error)) };
    }
  }

  #scale(req: SimRequest, type: ResourceType | undefined): SimResponse {
    if (!type) return status(404, 'NotFound', 'the server could not find the requested resource');
    const name = req.params.name ?? '';
    return this.#guard(req, this.#verb(req.method), `${type.plural}/scale`, type.group, name, () => {
      const current = this.#read(type, req);
      if (!current) return this.#notFound(type, name);
      const scaleOf = (o: KubeObject) => ({
        kind: 'Scale',
        apiVersion: 'autoscaling/v1',
        metadata: {
          name,
          namespace: o.metadata.namespace,
          uid: o.metadata.uid,
          resourceVersion: o.metadata.resourceVersion,
          creationTimestamp: o.metadata.creationTimestamp,
        },
        spec: { replicas: getField(o, 'spec.replicas') },
        status: {
          replicas: getField(o, 'status.replicas') ?? 0,
          selector: Object.entries((getField(o, 'spec.selector.matchLabels') as Record<string, string>) ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
      });
      if (req.method === 'GET') {
        const body = scaleOf(current);
        this.#afterReadOf(type, current.metadata.namespace, name, 'scale');
        return { body };
      }
      const writer = this.#writer(req, 'scale');
      if (!('manager' in writer)) return writer;
      let next: unknown = req.body;
      if (req.method === 'PATCH') {
        const patched = this.#patch(scaleOf(current), req);
        if ('status' in patched) return patched.status;
        next = patched.value;
      }
      if (!isObject(next)) return status(400, 'BadRequest', 'the body must be a Scale object');
      const rv = getField(next, 'metadata.resourceVersion');
      if (rv !== undefined && rv !== '' && rv !== current.metadata.resourceVersion)
        return this.#conflict(type, name);
      const replicas = getField(next, 'spec.replicas');
      if (!isNonNegativeInt(replicas))
        return this.#invalid(type, name, 'spec.replicas', replicas, 'must be greater than or equal to 0');
      const before = structuredClone(current);
      if (replicas !== getField(current, 'spec.replicas')) {
        Object.assign(current, setField(current, 'spec', { ...(current.spec as object), replicas }));
        current.metadata.generation = (current.metadata.generation ?? 1) + 1;
      }
      this.#bump(current);
      this.#written(before, current, writer);
      this.#syncStatus(current);
      return { body: scaleOf(current) };
    });
  }

  #pods(req: SimRequest): SimResponse {
    return this.#guard(req, 'list', 'pods', '', '', () => {
      const ns = req.params.ns ?? '';
      const wanted = Object.fromEntries(
        (req.query.get('labelSelector') ?? '')
          .split(',')
          .filter(Boolean)
          .map((pair) => pair.split('=') as [string, string]),
      );
      const items: unknown[] = [];
      for (const [key, scalable] of this.#scalables) {
        const object = this.#objects.get(key);
        if (!object || object.metadata.namespace !== ns) continue;
        if (!Object.entries(wanted).every(([k, v]) => scalable.labels[k] === v)) continue;
        items.push(...this.#podsOf(object, scalable));
      }
      return {
        body: {
          apiVersion: 'v1',
          kind: 'PodList',
          metadata: { resourceVersion: String(this.#version) },
          items,
        },
      };
    });
  }

  #podsOf(object: KubeObject, scalable: Scalable): unknown[] {
    const desired = scalable.desired(object);
    const ready = Math.min(scalable.ready, desired);
    const name = object.metadata.name;
    const hash = createHash('sha1').update(name).digest('hex').slice(0, 9);
    return Array.from({ length: desired }, (_, i) => {
      const podName =
        object.kind === 'StatefulSet' ? `${name}-${i}` : `${name}-${hash}-${String(i).padStart(5, 'x')}`;
      const isReady = i < ready;
      const schedulable = i < scalable.capacity || scalable.stuck !== 'Unschedulable';
      const waiting = isReady
        ? undefined
        : i < scalable.capacity
          ? { reason: 'ContainerCreating' }
          : scalable.stuck === 'CrashLoopBackOff'
            ? { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container=worker' }
            : scalable.stuck === 'ImagePullBackOff'
              ? {
                  reason: 'ImagePullBackOff',
                  message: 'Back-off pulling image "registry.example.com/worker:1.0.0"',
                }
              : undefined;
      return {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: object.metadata.namespace,
          uid: `${hash.slice(0, 8)}-0000-4000-8000-${String(i).padStart(12, '0')}`,
          resourceVersion: object.metadata.resourceVersion,
          creationTimestamp: CREATED,
          labels: { ...scalable.labels },
        },
        spec: { containers: [{ name: 'worker', image: 'registry.example.com/worker:1.0.0' }] },
        status: {
          // Crash-looping containers run between restarts; the others have not started yet.
          phase:
            isReady || (i >= scalable.capacity && scalable.stuck === 'CrashLoopBackOff')
              ? 'Running'
              : 'Pending',
          conditions: [
            schedulable
              ? { type: 'PodScheduled', status: 'True' }
              : {
                  type: 'PodScheduled',
                  status: 'False',
                  reason: 'Unschedulable',
                  message:
                    '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
                },
            { type: 'Ready', status: isReady ? 'True' : 'False' },
          ],
          ...(schedulable
            ? {
                containerStatuses: [
                  {
                    name: 'worker',
                    image: 'registry.example.com/worker:1.0.0',
                    imageID: '',
                    ready: isReady,
                    restartCount: scalable.stuck === 'CrashLoopBackOff' && !isReady ? 7 : 0,
                    started: isReady,
                    state: isReady ? { running: { startedAt: CREATED } } : { waiting },
                  },
                ],
              }
            : {}),
        },
      };
    });
  }
}
