import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { UpstreamError } from '../../core/errors.ts';
import { type HttpAnswer, type JsonCall, JsonClient } from '../../core/http/jsonClient.ts';
import type { RetryPolicy } from '../../core/http/retryPolicy.ts';
import type { ArgoCdConfig } from './config.ts';
import type { components } from './generated.ts';
import { autoSyncEnabled } from './syncPolicy.ts';

type Schemas = components['schemas'];

/**
 * An Argo CD Application as the API returns it, typed from the committed OpenAPI document
 * (`generated.ts`, `npm run gen:types`). The document makes every field optional, `spec` and a
 * history entry's `id` included, so readers say what they do without one.
 */
export type Application = Schemas['v1alpha1Application'];

/** An application's sync windows as Argo CD judges them now (GET …/syncwindows). */
export type SyncWindows = Schemas['applicationApplicationSyncWindowsResponse'];

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

  /**
   * A sync to a revision refused because automated sync is on and follows another ref: "Cannot
   * sync to <revision>: auto-sync currently set to <targetRevision>" (FailedPrecondition).
   */
  get syncRevisionRefusedForAutoSync(): boolean {
    return /auto-sync currently set to/i.test(this.message);
  }

  /** A rollback refused because automated sync is on. */
  get autoSyncEnabled(): boolean {
    return /auto-sync is enabled/i.test(this.message);
  }

  /**
   * A terminate with nothing to terminate: InvalidArgument "Unable to terminate operation. No
   * operation is in progress" (Argo CD server/application/application.go, TerminateOperation).
   */
  get noOperationInProgress(): boolean {
    return this.grpcCode === GrpcCode.InvalidArgument && /no operation is in progress/i.test(this.message);
  }
}

/** What the release needs from Argo CD. */
export interface ArgoCdClient {
  get(name: string): Promise<Application>;
  /**
   * Syncs to `revision`, or without one to what the application follows (Argo CD resolves its
   * targetRevision to a commit): the only sync it accepts for an auto-synced application whose
   * targetRevision is another ref.
   */
  sync(name: string, revision: string | undefined): Promise<Application>;
  rollback(name: string, historyId: number): Promise<Application>;
  /** Removes the automated sync policy; returns the one removed (null when it was off). */
  disableAutoSync(name: string): Promise<Record<string, unknown> | null>;
  /** Terminates the running operation. */
  terminateOperation(name: string): Promise<void>;
  /**
   * The application's project sync windows: those assigned to it, those active now, and whether a
   * manual sync may run now (`canSync`, false inside a deny window or outside every allow window).
   */
  syncWindows(name: string): Promise<SyncWindows>;
  /**
   * Whether the token's account may do `action` on `resource` (`applications`) for `object`
   * (`<project>/<application>`): Argo CD's own RBAC answer, without doing it.
   */
  canI(resource: string, action: string, object: string): Promise<boolean>;
  /** The account the token belongs to, as Argo CD names it in RBAC policies (`dpbot`). */
  whoAmI(): Promise<string | undefined>;
}

export interface ArgoCdDeps {
  env: Env;
  log: Logger;
}

/** Reads are tried 3 times in all, 1 s then 2 s apart; Argo CD's gateway names no Retry-After. */
const ARGOCD_RETRY: RetryPolicy = { retries: 2, baseDelayMs: 1000, maxWaitMs: 5000 };

/** Argo CD's error body (grpc-gateway): a message and the gRPC code. */
function argoCdErrorFor(answer: HttpAnswer, call: JsonCall): ArgoCdError {
  // The document's runtimeError, read as unknown: an error body is not trusted to match it.
  const body = (typeof answer.json === 'object' && answer.json !== null ? answer.json : {}) as {
    [K in keyof Schemas['runtimeError']]?: unknown;
  };
  const code = typeof body.code === 'number' ? body.code : undefined;
  const said =
    typeof body.message === 'string'
      ? body.message
      : typeof body.error === 'string'
        ? body.error
        : answer.json === undefined && answer.text !== ''
          ? answer.text.slice(0, 200)
          : undefined;
  const message =
    answer.status === 401
      ? 'the ARGOCD_TOKEN was refused (401): it may have expired'
      : said === 'permission denied' && answer.status === 403
        ? // Argo CD answers a bare "permission denied" for an application that does not exist when no
          // project is named, so as not to tell it from one the caller may not see
          // (Argo CD server/application/application.go).
          `no application at ${call.context ?? answer.method} that the ARGOCD_TOKEN may see: check the name (Argo CD says "permission denied" for a missing one) or the token's role`
        : // A sync window is PermissionDenied too, but the token's role is not at fault
          // (server/application/application.go, Sync: "cannot sync: blocked by sync window").
          said !== undefined && /blocked by sync window/i.test(said)
          ? `${said}: the application's project has a sync window closed now`
          : answer.status === 403 || code === GrpcCode.PermissionDenied
            ? `permission denied for ${call.context ?? answer.method}: the ARGOCD_TOKEN's role lacks it`
            : (said ?? `HTTP ${answer.status}`);
  return new ArgoCdError(message, answer.status, code);
}

/**
 * Argo CD's REST API (the gRPC gateway) through the shared JSON client: there is no maintained
 * JavaScript client. Reads are retried under the shared policy; writes are not, since a lost
 * answer may hide an operation that did start.
 */
export class HttpArgoCdClient implements ArgoCdClient {
  readonly #http: JsonClient;

  constructor(options: { url: string; token: string | undefined; timeoutMs: number; log: Logger }) {
    const { token } = options;
    this.#http = new JsonClient({
      system: 'Argo CD',
      metricsSystem: 'argocd',
      baseUrl: options.url,
      timeoutMs: options.timeoutMs,
      retry: ARGOCD_RETRY,
      ...(token ? { authorization: () => `Bearer ${token}` } : {}),
      errorFor: argoCdErrorFor,
      log: options.log.child({ integration: 'argocd' }),
    });
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // Callers read fields of the answer; an empty one (a 200 without a body) reads as no fields.
    const answer = await this.#http.request({
      method,
      url: path,
      context: `${method} ${path}`,
      ...(body === undefined ? {} : { json: body }),
    });
    return (answer ?? {}) as T;
  }

  get(name: string): Promise<Application> {
    return this.#call('GET', `/api/v1/applications/${encodeURIComponent(name)}`);
  }

  sync(name: string, revision: string | undefined): Promise<Application> {
    const request: Schemas['applicationApplicationSyncRequest'] = {
      name,
      ...(revision === undefined ? {} : { revision }),
      prune: false,
      dryRun: false,
    };
    return this.#call('POST', `/api/v1/applications/${encodeURIComponent(name)}/sync`, request);
  }

  rollback(name: string, historyId: number): Promise<Application> {
    const request: Schemas['applicationApplicationRollbackRequest'] = {
      name,
      id: historyId,
      prune: false,
      dryRun: false,
    };
    return this.#call('POST', `/api/v1/applications/${encodeURIComponent(name)}/rollback`, request);
  }

  async disableAutoSync(name: string): Promise<Record<string, unknown> | null> {
    const app = await this.get(name);
    const automated = app.spec?.syncPolicy?.automated ?? null;
    if (!automated || !autoSyncEnabled(app)) return null;
    // `automated: null` turns auto-sync off on every version; `enabled: false` would be dropped,
    // leaving it on, by servers before v3.1.
    const request: Schemas['applicationApplicationPatchRequest'] = {
      name,
      patchType: 'merge',
      patch: JSON.stringify({ spec: { syncPolicy: { automated: null } } }),
    };
    await this.#call('PATCH', `/api/v1/applications/${encodeURIComponent(name)}`, request);
    return automated;
  }

  async terminateOperation(name: string): Promise<void> {
    await this.#call('DELETE', `/api/v1/applications/${encodeURIComponent(name)}/operation`);
  }

  syncWindows(name: string): Promise<SyncWindows> {
    return this.#call('GET', `/api/v1/applications/${encodeURIComponent(name)}/syncwindows`);
  }

  async canI(resource: string, action: string, object: string): Promise<boolean> {
    // The object keeps its slash (`project/app`), as Argo CD's own UI sends it: the gateway binds
    // the rest of the path to it.
    const path = `/api/v1/account/can-i/${encodeURIComponent(resource)}/${encodeURIComponent(action)}/${object
      .split('/')
      .map(encodeURIComponent)
      .join('/')}`;
    const answer = await this.#call<Schemas['accountCanIResponse']>('GET', path);
    return answer.value === 'yes';
  }

  async whoAmI(): Promise<string | undefined> {
    const info = await this.#call<Schemas['sessionGetUserInfoResponse']>('GET', '/api/v1/session/userinfo');
    return info.loggedIn && info.username ? info.username : undefined;
  }
}

/** The Argo CD client, or undefined when `argocd.url` is not set. Token: ARGOCD_TOKEN (or _FILE). */
export function argoCdFromConfig(config: ArgoCdConfig, deps: ArgoCdDeps): ArgoCdClient | undefined {
  if (!config.url) return undefined;
  return new HttpArgoCdClient({
    url: config.url,
    token: readSecret(deps.env, 'ARGOCD_TOKEN'),
    timeoutMs: config.timeout,
    log: deps.log,
  });
}
