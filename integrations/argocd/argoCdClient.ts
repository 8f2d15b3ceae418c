import type { Logger } from 'pino';
import type { Config } from '../../bot/config/schema.ts';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { UpstreamError } from '../../core/errors.ts';

/** An Argo CD Application as the API returns it, reduced to the fields dpbot reads. */
export interface Application {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  spec: {
    project?: string;
    source?: { repoURL?: string; path?: string; targetRevision?: string };
    syncPolicy?: { automated?: Record<string, unknown> | null; syncOptions?: string[] } | null;
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    reconciledAt?: string;
    operationState?: {
      operation?: { sync?: { revision?: string } };
      phase?: string;
      message?: string;
      startedAt?: string;
      finishedAt?: string;
      syncResult?: { revision?: string };
    };
    history?: { id: number; revision: string; deployedAt?: string; deployStartedAt?: string }[];
  };
  /** Set while an operation is requested and not yet picked up or still running. */
  operation?: Record<string, unknown> | null;
}

/** gRPC status codes Argo CD's gateway puts in its error bodies. */
export const GrpcCode = {
  InvalidArgument: 3,
  NotFound: 5,
  PermissionDenied: 7,
  FailedPrecondition: 9,
} as const;

/** An error answered by Argo CD, with its gRPC code so callers can tell the cases apart. */
export class ArgoCdError extends UpstreamError {
  readonly grpcCode: number | undefined;
  constructor(
    message: string,
    status: number | undefined,
    grpcCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super('Argo CD', message, status, options);
    this.grpcCode = grpcCode;
  }

  /** "another operation is already in progress": wait, or terminate the running one. */
  get operationInProgress(): boolean {
    return /another operation is already in progress/i.test(this.message);
  }

  /** A rollback refused because automated sync is on. */
  get autoSyncEnabled(): boolean {
    return /auto-sync is enabled/i.test(this.message);
  }
}

/** What the release needs from Argo CD. */
export interface ArgoCdClient {
  get(name: string): Promise<Application>;
  sync(name: string, revision: string): Promise<Application>;
  rollback(name: string, historyId: number): Promise<Application>;
  /** Removes the automated sync policy; returns the one removed (null when it was off). */
  disableAutoSync(name: string): Promise<Record<string, unknown> | null>;
  /** Terminates the running operation. */
  terminateOperation(name: string): Promise<void>;
}

export interface ArgoCdDeps {
  env: Env;
  log: Logger;
}

/**
 * Argo CD's REST API (the gRPC gateway) over fetch: there is no maintained JavaScript client.
 * Idempotent reads are retried on 5xx and 429 a bounded number of times; writes are not, since a
 * lost answer may hide an operation that did start.
 */
export class HttpArgoCdClient implements ArgoCdClient {
  readonly #base: string;
  readonly #token: string | undefined;
  readonly #timeoutMs: number;
  readonly #log: Logger;

  constructor(options: { url: string; token: string | undefined; timeoutMs: number; log: Logger }) {
    this.#base = options.url.replace(/\/$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs;
    this.#log = options.log.child({ integration: 'argocd' });
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const attempts = method === 'GET' ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(`${this.#base}${path}`, {
          method,
          headers: {
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (error) {
        if (attempt < attempts) continue;
        throw new ArgoCdError(
          `${method} ${path}: ${error instanceof Error ? error.message : String(error)}`,
          undefined,
          undefined,
          {
            cause: error,
          },
        );
      }
      const text = await response.text();
      if (response.ok) return (text ? JSON.parse(text) : {}) as T;
      if ((response.status >= 500 || response.status === 429) && attempt < attempts) {
        const wait = Math.min(5, Number(response.headers.get('retry-after')) || attempt) * 1000;
        this.#log.warn({ status: response.status, path, wait }, 'Argo CD answered an error; retrying');
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      let parsed: { message?: string; error?: string; code?: number } = {};
      try {
        parsed = JSON.parse(text) as typeof parsed;
      } catch {
        parsed = { message: text.slice(0, 200) };
      }
      const message =
        response.status === 401
          ? 'the ARGOCD_TOKEN was refused (401): it may have expired'
          : response.status === 403 || parsed.code === GrpcCode.PermissionDenied
            ? `permission denied for ${method} ${path}: the ARGOCD_TOKEN's role lacks it`
            : (parsed.message ?? parsed.error ?? `HTTP ${response.status}`);
      throw new ArgoCdError(message, response.status, parsed.code);
    }
  }

  get(name: string): Promise<Application> {
    return this.#call('GET', `/api/v1/applications/${encodeURIComponent(name)}`);
  }

  sync(name: string, revision: string): Promise<Application> {
    return this.#call('POST', `/api/v1/applications/${encodeURIComponent(name)}/sync`, {
      name,
      revision,
      prune: false,
      dryRun: false,
    });
  }

  rollback(name: string, historyId: number): Promise<Application> {
    return this.#call('POST', `/api/v1/applications/${encodeURIComponent(name)}/rollback`, {
      name,
      id: historyId,
      prune: false,
      dryRun: false,
    });
  }

  async disableAutoSync(name: string): Promise<Record<string, unknown> | null> {
    const app = await this.get(name);
    const automated = app.spec.syncPolicy?.automated ?? null;
    if (!automated) return null;
    await this.#call('PATCH', `/api/v1/applications/${encodeURIComponent(name)}`, {
      name,
      patchType: 'merge',
      patch: JSON.stringify({ spec: { syncPolicy: { automated: null } } }),
    });
    return automated;
  }

  async terminateOperation(name: string): Promise<void> {
    await this.#call('DELETE', `/api/v1/applications/${encodeURIComponent(name)}/operation`);
  }
}

/** The Argo CD client, or undefined when `argocd.url` is not set. Token: ARGOCD_TOKEN (or _FILE). */
export function argoCdFromConfig(config: Config, deps: ArgoCdDeps): ArgoCdClient | undefined {
  if (!config.argocd.url) return undefined;
  return new HttpArgoCdClient({
    url: config.argocd.url,
    token: readSecret(deps.env, 'ARGOCD_TOKEN'),
    timeoutMs: config.argocd.timeout,
    log: deps.log,
  });
}
