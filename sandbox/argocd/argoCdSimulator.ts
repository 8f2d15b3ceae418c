import { type SimRequest, type SimResponse, Simulator } from '../http.ts';
import { asApiWindow, canSync, matchingWindows, type SimSyncWindow, windowActive } from './syncWindows.ts';

export type { SimSyncWindow } from './syncWindows.ts';

export interface SimApplicationInit {
  name: string;
  repoURL: string;
  path?: string;
  /** The revision deployed now (and the one before it, so a rollback has somewhere to go). */
  revision: string;
  previousRevision?: string;
  /** true for `{ prune: true, selfHeal: true }`; an object is taken as the `automated` policy itself. */
  autoSync?: boolean | Record<string, unknown>;
}

interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: { repoURL: string; path: string; targetRevision: string };
  /** Who started the operation that deployed it (RevisionHistory.initiatedBy in Argo CD's OpenAPI). */
  initiatedBy: { username: string };
}

/**
 * A running operation advances one step each time the application is read, so tests and the
 * sandbox see every stage in order, whatever the timing:
 *   0 requested (`operation` set) → 1 Running → 2 Succeeded, but not yet reconciled (the old pods'
 *   Healthy still shows) → 3 reconciled, Progressing → 4 Healthy, or Degraded for a bad revision.
 */
interface Operation {
  kind: 'sync' | 'rollback';
  /**
   * Started by someone else (startForeignSync): it also advances on every other request about the
   * application, since dpbot, waiting for it to end, asks to sync rather than reads.
   */
  foreign?: boolean;
  /** The account that asked for it, as Argo CD records it in `initiatedBy` and the history. */
  username: string;
  revision: string;
  step: number;
  startedAt: string;
  finishedAt?: string;
  terminated?: boolean;
}

interface SimApplication {
  name: string;
  repoURL: string;
  path: string;
  targetRevision: string;
  automated: Record<string, unknown> | null;
  syncStatus: string;
  syncedRevision: string;
  health: string;
  healthMessage?: string;
  reconciledAt: string;
  history: HistoryEntry[];
  operation: Operation | null;
  operationState: Record<string, unknown> | undefined;
  resourceVersion: number;
}

/** What a restart of the sandbox keeps: every application as it was, history and operation included. */
export interface ArgoCdSnapshot {
  apps: SimApplication[];
}

const grpc = (status: number, code: number, message: string): SimResponse => ({
  status,
  body: { error: message, code, message, details: [] },
});

/** The RBAC action each route needs (Argo CD server/application/application.go). */
const ACTION_OF: Record<string, string> = {
  'GET /api/v1/applications/:name': 'get',
  'GET /api/v1/applications/:name/resource-tree': 'get',
  'GET /api/v1/applications/:name/syncwindows': 'get',
  'POST /api/v1/applications/:name/sync': 'sync',
  // Rollback and terminating an operation are checked as sync.
  'POST /api/v1/applications/:name/rollback': 'sync',
  'DELETE /api/v1/applications/:name/operation': 'sync',
  'PATCH /api/v1/applications/:name': 'update',
};

/** The actions can-i knows (util/rbac: rbac.Actions); others are refused as InvalidArgument. */
const CAN_I_ACTIONS = new Set(['get', 'create', 'update', 'delete', 'sync', 'override', 'action', 'invoke']);

/** The namespace the applications live in, as in `application <namespace>/<name>` messages. */
const NAMESPACE = 'argocd';

/**
 * Auto-sync as Argo CD reads it (server/application/application.go via
 * SyncPolicy.IsAutomatedSyncEnabled): `automated` present and `enabled` not false.
 */
const autoSyncOn = (app: SimApplication): boolean =>
  app.automated !== null && app.automated.enabled !== false;

/** A JSON merge patch (RFC 7396) of one object: null removes a key, objects merge. */
function mergePatch(
  target: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (typeof value === 'object' && !Array.isArray(value)) {
      const before = out[key];
      out[key] = mergePatch(
        typeof before === 'object' && before !== null && !Array.isArray(before)
          ? (before as Record<string, unknown>)
          : {},
        value as Record<string, unknown>,
      );
    } else out[key] = value;
  }
  return out;
}

/**
 * Argo CD's REST API as dpbot uses it, answering as Argo CD v3.5 does
 * (server/application/application.go): applications with sync, health, history (ids from 0) and
 * operation state; sync and rollback operations that progress as the application is read;
 * Degraded health for revisions marked bad; FailedPrecondition for a sync to a commit and for a
 * rollback while auto-sync is on, and for any operation while another is in progress;
 * InvalidArgument for an unknown history id and for terminating when nothing runs; "permission
 * denied" for a missing application unless a project is named; PATCH (merge) of the spec; and a
 * resource tree.
 */
export class ArgoCdSimulator extends Simulator {
  readonly apps = new Map<string, SimApplication>();
  /** Revisions whose rollout ends Degraded. */
  readonly badRevisions = new Set<string>();
  /** Revisions whose sync operation fails. */
  readonly failingRevisions = new Set<string>();
  /**
   * RBAC denials: `<action> <application>` (`sync orders-api`, `update *`), as if the policy of
   * the token's account left them out. The operations and can-i answer from the same list.
   */
  readonly denied = new Set<string>();
  /** The account the token belongs to. */
  readonly account = 'dpbot';
  /**
   * Each project's `spec.syncWindows` (every application is in `default`), judged as Argo CD
   * does (./syncWindows.ts): GET …/syncwindows reports them, and a sync or rollback is refused
   * while they block a manual sync.
   */
  readonly syncWindows = new Map<string, SimSyncWindow[]>();
  readonly #token: string | undefined;
  readonly #now: () => Date;
  readonly #headOf: ((repoURL: string, ref: string) => string | undefined) | undefined;
  readonly #stageMs: number | undefined;

  /**
   * `headOf` resolves a targetRevision to a commit, as Argo CD's repo server does for a sync
   * without a revision; without it (or when it knows nothing) the revision deployed now stands in.
   * `stageMs` makes operations run on the clock, as in a cluster: each of the four stages takes
   * that long, however often the application is read (the benchmark counts the reads).
   */
  constructor(
    options: {
      token?: string;
      now?: () => Date;
      headOf?: (repoURL: string, ref: string) => string | undefined;
      stageMs?: number;
    } = {},
  ) {
    super('argocd');
    this.#token = options.token;
    this.#now = options.now ?? (() => new Date());
    this.#headOf = options.headOf;
    this.#stageMs = options.stageMs;
    const r = (
      method: string,
      pattern: string,
      handler: (req: SimRequest, app: SimApplication) => SimResponse,
    ) =>
      this.route(method, pattern, (req) => {
        if (this.#token && req.headers.authorization !== `Bearer ${this.#token}`)
          return grpc(401, 16, 'no session information');
        const app = this.apps.get(req.params.name ?? '');
        // Without a project Argo CD cannot check RBAC on a missing application and says no more
        // than "permission denied", so as not to tell which names exist.
        if (!app)
          return req.query.get('project')
            ? grpc(404, 5, `applications.argoproj.io "${req.params.name}" not found`)
            : grpc(403, 7, 'permission denied');
        const action = ACTION_OF[`${method} ${pattern}`] ?? 'get';
        if (!this.#may(action, app.name))
          return grpc(
            403,
            7,
            `permission denied: applications, ${action}, default/${app.name}, sub: ${this.account}, iat: 2026-01-05T09:00:00Z`,
          );
        if (app.operation?.foreign && method !== 'GET') this.#advance(app);
        return handler(req, app);
      });
    const authed = (handler: (req: SimRequest) => SimResponse) => (req: SimRequest) =>
      this.#token && req.headers.authorization !== `Bearer ${this.#token}`
        ? grpc(401, 16, 'no session information')
        : handler(req);
    this.route(
      'GET',
      '/api/v1/session/userinfo',
      authed(() => ({ body: { loggedIn: true, username: this.account, iss: 'argocd' } })),
    );
    // Argo CD's gateway takes the rest of the path as the object (`project/app`), as its UI sends it.
    const canI = (req: SimRequest, object: string): SimResponse => {
      if (!CAN_I_ACTIONS.has(req.params.action ?? ''))
        return grpc(400, 3, `[${[...CAN_I_ACTIONS].join(' ')}] does not contain ${req.params.action}`);
      const app = req.params.resource === 'applications' ? object.split('/').at(-1) : undefined;
      const yes = app !== undefined && this.#may(req.params.action ?? '', app);
      return { body: { value: yes ? 'yes' : 'no' } };
    };
    this.route(
      'GET',
      '/api/v1/account/can-i/:resource/:action/:project/:app',
      authed((req) => canI(req, `${req.params.project}/${req.params.app}`)),
    );
    this.route(
      'GET',
      '/api/v1/account/can-i/:resource/:action/:object',
      authed((req) => canI(req, req.params.object ?? '')),
    );
    r('GET', '/api/v1/applications/:name', (_req, app) => {
      this.#advance(app);
      return { body: this.#render(app) };
    });
    r('GET', '/api/v1/applications/:name/syncwindows', (_req, app) => {
      // server/application/application.go GetApplicationSyncWindows: the windows assigned to the
      // application, those active now, and CanSync(true); an empty list is left out.
      const assigned = this.#windowsOf(app);
      const now = this.#now();
      const active = assigned.filter((w) => windowActive(w, now));
      return {
        body: {
          ...(active.length ? { activeWindows: active.map(asApiWindow) } : {}),
          ...(assigned.length ? { assignedWindows: assigned.map(asApiWindow) } : {}),
          canSync: canSync(assigned, now, true),
        },
      };
    });
    // Argo CD refuses a sync that the windows block: PermissionDenied "cannot sync: blocked by
    // sync window" (server/application/application.go, Sync).
    const unlessBlocked =
      (handler: (req: SimRequest, app: SimApplication) => SimResponse) =>
      (req: SimRequest, app: SimApplication) =>
        canSync(this.#windowsOf(app), this.#now(), true)
          ? handler(req, app)
          : grpc(403, 7, 'cannot sync: blocked by sync window');
    r(
      'POST',
      '/api/v1/applications/:name/sync',
      unlessBlocked((req, app) => this.#sync(req, app)),
    );
    r('POST', '/api/v1/applications/:name/rollback', (req, app) => this.#rollback(req, app));
    r('PATCH', '/api/v1/applications/:name', (req, app) => this.#patch(req, app));
    r('DELETE', '/api/v1/applications/:name/operation', (_req, app) => {
      if (!app.operation) return grpc(400, 3, 'Unable to terminate operation. No operation is in progress');
      app.operation.terminated = true;
      return { body: {} };
    });
    r('GET', '/api/v1/applications/:name/resource-tree', (_req, app) => ({
      body: {
        nodes: [
          {
            group: 'apps',
            version: 'v1',
            kind: 'Deployment',
            namespace: app.name,
            name: app.name,
            health: { status: app.health, ...(app.healthMessage ? { message: app.healthMessage } : {}) },
          },
        ],
      },
    }));
  }

  #windowsOf(app: SimApplication): SimSyncWindow[] {
    return matchingWindows(this.syncWindows.get('default') ?? [], {
      name: app.name,
      namespace: app.name,
      server: 'https://kubernetes.default.svc',
      cluster: 'in-cluster',
    });
  }

  #may(action: string, app: string): boolean {
    return !this.denied.has(`${action} ${app}`) && !this.denied.has(`${action} *`);
  }

  addApplication(init: SimApplicationInit): this {
    const now = this.#now();
    const source = { repoURL: init.repoURL, path: init.path ?? 'deploy', targetRevision: 'main' };
    const history: HistoryEntry[] = [];
    const stamp = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
    if (init.previousRevision)
      history.push({
        id: 0,
        revision: init.previousRevision,
        deployedAt: stamp(20_000),
        deployStartedAt: stamp(20_001),
        source,
        initiatedBy: { username: 'admin' },
      });
    history.push({
      id: history.length,
      revision: init.revision,
      deployedAt: stamp(10_000),
      deployStartedAt: stamp(10_001),
      source,
      initiatedBy: { username: 'admin' },
    });
    this.apps.set(init.name, {
      name: init.name,
      repoURL: source.repoURL,
      path: source.path,
      targetRevision: 'main',
      automated:
        typeof init.autoSync === 'object'
          ? init.autoSync
          : init.autoSync
            ? { prune: true, selfHeal: true }
            : null,
      syncStatus: 'Synced',
      syncedRevision: init.revision,
      health: 'Healthy',
      reconciledAt: stamp(1),
      history,
      operation: null,
      operationState: {
        operation: { sync: { revision: init.revision } },
        phase: 'Succeeded',
        message: 'successfully synced (all tasks run)',
        startedAt: stamp(10_001),
        finishedAt: stamp(10_000),
        syncResult: { revision: init.revision },
      },
      resourceVersion: 1,
    });
    return this;
  }

  app(name: string): SimApplication {
    const app = this.apps.get(name);
    if (!app) throw new Error(`the Argo CD simulator has no application ${name}`);
    return app;
  }

  /**
   * Starts a sync as another user would (the UI, `argocd app sync --revision`), to provoke
   * conflicts or to deploy outside dpbot; `username` is who Argo CD records as its initiator.
   */
  startForeignSync(name: string, revision: string, username = 'admin'): void {
    const app = this.app(name);
    app.operation = {
      kind: 'sync',
      revision,
      step: 0,
      startedAt: this.#now().toISOString(),
      foreign: true,
      username,
    };
    this.#startState(app);
  }

  #startState(app: SimApplication): void {
    const op = app.operation;
    if (!op) return;
    app.operationState = {
      operation: { sync: { revision: op.revision } },
      phase: 'Running',
      message: 'waiting to start',
      startedAt: op.startedAt,
    };
    app.resourceVersion++;
  }

  #advance(app: SimApplication): void {
    const op = app.operation;
    if (!op) return;
    if (this.#stageMs === undefined || op.terminated) {
      this.#nextStage(app);
      return;
    }
    const due = Math.floor((this.#now().getTime() - Date.parse(op.startedAt)) / this.#stageMs);
    while (app.operation === op && op.step < due) this.#nextStage(app);
  }

  #nextStage(app: SimApplication): void {
    const op = app.operation;
    if (!op) return;
    const now = this.#now().toISOString();
    if (op.terminated) {
      app.operationState = {
        ...app.operationState,
        phase: 'Failed',
        message: 'Operation terminated',
        finishedAt: now,
      };
      app.operation = null;
      app.reconciledAt = now;
      return;
    }
    op.step++;
    app.resourceVersion++;
    const failing = op.kind === 'sync' && this.failingRevisions.has(op.revision);
    if (op.step === 1) {
      app.operationState = {
        ...app.operationState,
        phase: 'Running',
        message: 'one or more tasks are running',
      };
    } else if (op.step === 2) {
      op.finishedAt = now;
      if (failing) {
        app.operationState = {
          ...app.operationState,
          phase: 'Failed',
          message: 'one or more objects failed to apply, reason: admission webhook denied the request',
          finishedAt: now,
          syncResult: { revision: op.revision },
        };
        app.operation = null;
        app.reconciledAt = now;
        app.syncStatus = 'OutOfSync';
        return;
      }
      // Finished, but the controller has not compared the app yet: the Healthy shown is stale.
      app.operationState = {
        ...app.operationState,
        phase: 'Succeeded',
        message: 'successfully synced (all tasks run)',
        finishedAt: now,
        syncResult: { revision: op.revision },
      };
      const id = Math.max(-1, ...app.history.map((h) => h.id)) + 1;
      app.history.push({
        id,
        revision: op.revision,
        deployedAt: now,
        deployStartedAt: op.startedAt,
        source: { repoURL: app.repoURL, path: app.path, targetRevision: app.targetRevision },
        initiatedBy: { username: op.username },
      });
      if (app.history.length > 10) app.history.shift();
    } else if (op.step === 3) {
      app.reconciledAt = new Date(this.#now().getTime() + 1).toISOString();
      app.syncedRevision = op.revision;
      app.syncStatus = op.kind === 'rollback' ? 'OutOfSync' : 'Synced';
      app.health = 'Progressing';
      app.healthMessage = `Waiting for rollout to finish: 1 of 3 updated replicas are available...`;
    } else {
      const bad = this.badRevisions.has(op.revision);
      app.health = bad ? 'Degraded' : 'Healthy';
      app.healthMessage = bad ? `Deployment "${app.name}" exceeded its progress deadline` : undefined;
      app.reconciledAt = now;
      app.operation = null;
    }
  }

  #sync(req: SimRequest, app: SimApplication): SimResponse {
    const body = (req.body ?? {}) as { revision?: string; dryRun?: boolean };
    const target = app.targetRevision || 'HEAD';
    // A plain string comparison, as Argo CD makes it: a commit is refused even when it is the
    // branch's head.
    if (body.revision && body.revision !== target && autoSyncOn(app) && !body.dryRun)
      return grpc(400, 9, `Cannot sync to ${body.revision}: auto-sync currently set to ${target}`);
    if (app.operation) return grpc(400, 9, 'another operation is already in progress');
    const revision = body.revision || (this.#headOf?.(app.repoURL, target) ?? app.syncedRevision);
    app.operation = {
      kind: 'sync',
      revision,
      step: 0,
      startedAt: this.#now().toISOString(),
      username: this.account,
    };
    this.#startState(app);
    return { body: this.#render(app) };
  }

  #rollback(req: SimRequest, app: SimApplication): SimResponse {
    // Checked in Argo CD's order: auto-sync (dryRun or not), the history id, then a running operation.
    if (autoSyncOn(app)) return grpc(400, 9, 'rollback cannot be initiated when auto-sync is enabled');
    const body = (req.body ?? {}) as { id?: unknown };
    // int64 in the API; a missing id reads as 0, the first deployment.
    const id = body.id === undefined ? 0 : Number(body.id);
    const entry = app.history.find((h) => h.id === id);
    if (!entry)
      return grpc(400, 3, `application ${NAMESPACE}/${app.name} does not have deployment with id ${id}`);
    if (app.operation) return grpc(400, 9, 'another operation is already in progress');
    app.operation = {
      kind: 'rollback',
      revision: entry.revision,
      step: 0,
      startedAt: this.#now().toISOString(),
      username: this.account,
    };
    this.#startState(app);
    return { body: this.#render(app) };
  }

  #patch(req: SimRequest, app: SimApplication): SimResponse {
    const body = (req.body ?? {}) as { patch?: string; patchType?: string };
    if (body.patchType !== 'merge' || typeof body.patch !== 'string')
      return grpc(400, 3, 'unsupported patch type (this simulator accepts merge patches)');
    let patch: { spec?: { syncPolicy?: { automated?: Record<string, unknown> | null } } };
    try {
      patch = JSON.parse(body.patch) as typeof patch;
    } catch {
      return grpc(400, 3, 'error unmarshaling patch');
    }
    const policy = patch.spec?.syncPolicy;
    if (policy && 'automated' in policy) {
      const automated = policy.automated;
      app.automated = automated ? mergePatch(app.automated ?? {}, automated) : null;
    }
    app.resourceVersion++;
    return { body: this.#render(app) };
  }

  #render(app: SimApplication) {
    return {
      metadata: { name: app.name, namespace: NAMESPACE, resourceVersion: String(app.resourceVersion) },
      spec: {
        project: 'default',
        source: { repoURL: app.repoURL, path: app.path, targetRevision: app.targetRevision },
        destination: { server: 'https://kubernetes.default.svc', namespace: app.name },
        syncPolicy: app.automated ? { automated: app.automated } : {},
      },
      status: {
        sync: { status: app.syncStatus, revision: app.syncedRevision },
        health: { status: app.health, ...(app.healthMessage ? { message: app.healthMessage } : {}) },
        reconciledAt: app.reconciledAt,
        operationState: app.operationState,
        history: app.history,
      },
      ...(app.operation && app.operation.step === 0
        ? {
            operation: {
              sync: { revision: app.operation.revision },
              initiatedBy: { username: app.operation.username },
            },
          }
        : {}),
    };
  }

  /** The applications as they are now, for a later simulator seeded alike to take over (the sandbox's restarts). */
  snapshot(): ArgoCdSnapshot {
    return { apps: structuredClone([...this.apps.values()]) };
  }

  /** Puts a snapshot's applications in place of the seeded ones of the same name. */
  restore(snapshot: ArgoCdSnapshot): this {
    for (const app of snapshot.apps) this.apps.set(app.name, structuredClone(app));
    return this;
  }
}
