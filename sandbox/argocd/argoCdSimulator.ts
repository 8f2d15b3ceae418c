import { type SimRequest, type SimResponse, Simulator } from '../http.ts';

export interface SimApplicationInit {
  name: string;
  repoURL: string;
  path?: string;
  /** The revision deployed now (and the one before it, so a rollback has somewhere to go). */
  revision: string;
  previousRevision?: string;
  autoSync?: boolean;
}

interface HistoryEntry {
  id: number;
  revision: string;
  deployedAt: string;
  deployStartedAt: string;
  source: { repoURL: string; path: string; targetRevision: string };
}

/**
 * A running operation advances one step each time the application is read, so tests and the
 * sandbox see every stage in order, whatever the timing:
 *   0 requested (`operation` set) → 1 Running → 2 Succeeded, but not yet reconciled (the old pods'
 *   Healthy still shows) → 3 reconciled, Progressing → 4 Healthy, or Degraded for a bad revision.
 */
interface Operation {
  kind: 'sync' | 'rollback';
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

const grpc = (status: number, code: number, message: string): SimResponse => ({
  status,
  body: { error: message, code, message },
});

/**
 * Argo CD's REST API as dpbot uses it: applications with sync, health, history and operation
 * state; sync and rollback operations that progress as the application is read; Degraded health
 * for revisions marked bad; FailedPrecondition for a rollback while auto-sync is on and for any
 * operation while another is in progress; PATCH (merge) of the spec; terminating an operation;
 * and a resource tree.
 */
export class ArgoCdSimulator extends Simulator {
  readonly apps = new Map<string, SimApplication>();
  /** Revisions whose rollout ends Degraded. */
  readonly badRevisions = new Set<string>();
  /** Revisions whose sync operation fails. */
  readonly failingRevisions = new Set<string>();
  readonly #token: string | undefined;
  readonly #now: () => Date;

  constructor(options: { token?: string; now?: () => Date } = {}) {
    super('argocd');
    this.#token = options.token;
    this.#now = options.now ?? (() => new Date());
    const r = (
      method: string,
      pattern: string,
      handler: (req: SimRequest, app: SimApplication) => SimResponse,
    ) =>
      this.route(method, pattern, (req) => {
        if (this.#token && req.headers.authorization !== `Bearer ${this.#token}`)
          return grpc(401, 16, 'no session information');
        const app = this.apps.get(req.params.name ?? '');
        if (!app) return grpc(404, 5, `applications.argoproj.io "${req.params.name}" not found`);
        return handler(req, app);
      });
    r('GET', '/api/v1/applications/:name', (_req, app) => {
      this.#advance(app);
      return { body: this.#render(app) };
    });
    r('POST', '/api/v1/applications/:name/sync', (req, app) => this.#sync(req, app));
    r('POST', '/api/v1/applications/:name/rollback', (req, app) => this.#rollback(req, app));
    r('PATCH', '/api/v1/applications/:name', (req, app) => this.#patch(req, app));
    r('DELETE', '/api/v1/applications/:name/operation', (_req, app) => {
      if (!app.operation) return grpc(400, 9, 'Unable to terminate operation. No operation is in progress');
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

  addApplication(init: SimApplicationInit): this {
    const now = this.#now();
    const source = { repoURL: init.repoURL, path: init.path ?? 'deploy', targetRevision: 'main' };
    const history: HistoryEntry[] = [];
    const stamp = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
    if (init.previousRevision)
      history.push({
        id: 1,
        revision: init.previousRevision,
        deployedAt: stamp(20_000),
        deployStartedAt: stamp(20_001),
        source,
      });
    history.push({
      id: history.length + 1,
      revision: init.revision,
      deployedAt: stamp(10_000),
      deployStartedAt: stamp(10_001),
      source,
    });
    this.apps.set(init.name, {
      name: init.name,
      repoURL: source.repoURL,
      path: source.path,
      targetRevision: 'main',
      automated: init.autoSync ? { prune: true, selfHeal: true } : null,
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

  /** Starts an operation as another user would (the UI, an auto-sync), to provoke conflicts. */
  startForeignSync(name: string, revision: string): void {
    const app = this.app(name);
    app.operation = { kind: 'sync', revision, step: 0, startedAt: this.#now().toISOString() };
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
      const id = Math.max(0, ...app.history.map((h) => h.id)) + 1;
      app.history.push({
        id,
        revision: op.revision,
        deployedAt: now,
        deployStartedAt: op.startedAt,
        source: { repoURL: app.repoURL, path: app.path, targetRevision: app.targetRevision },
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
    if (app.operation) return grpc(400, 9, 'another operation is already in progress');
    const body = (req.body ?? {}) as { revision?: string };
    const revision = body.revision || app.targetRevision;
    app.operation = { kind: 'sync', revision, step: 0, startedAt: this.#now().toISOString() };
    this.#startState(app);
    return { body: this.#render(app) };
  }

  #rollback(req: SimRequest, app: SimApplication): SimResponse {
    if (app.automated) return grpc(400, 9, 'rollback cannot be initiated when auto-sync is enabled');
    if (app.operation) return grpc(400, 9, 'another operation is already in progress');
    const body = (req.body ?? {}) as { id?: number | string };
    const entry = app.history.find((h) => h.id === Number(body.id));
    if (!entry)
      return grpc(400, 3, `application ${app.name} does not have deployment with id ${String(body.id)}`);
    app.operation = {
      kind: 'rollback',
      revision: entry.revision,
      step: 0,
      startedAt: this.#now().toISOString(),
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
    if (policy && 'automated' in policy) app.automated = policy.automated ?? null;
    app.resourceVersion++;
    return { body: this.#render(app) };
  }

  #render(app: SimApplication) {
    return {
      metadata: { name: app.name, namespace: 'argocd', resourceVersion: String(app.resourceVersion) },
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
        ? { operation: { sync: { revision: app.operation.revision }, initiatedBy: { username: 'dpbot' } } }
        : {}),
    };
  }
}
