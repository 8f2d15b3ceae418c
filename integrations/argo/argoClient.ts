import type { Logger } from 'pino';
import { type Env, readSecret } from '../../core/config/secrets.ts';
import { UpstreamError } from '../../core/errors.ts';
import { CACHED_READ_RETRY } from '../../core/http/httpJson.ts';
import { JsonClient } from '../../core/http/jsonClient.ts';
import type { RetryPolicy } from '../../core/http/retryPolicy.ts';
import { ARGO, type ArgoServer, argoAnswer, argoFailure, argoNoAnswer, argoNotJson } from './argoFailure.ts';
import type { ArgoConfig } from './config.ts';
import { labelString } from './labels.ts';
import type {
  CronWorkflow,
  CronWorkflowList,
  LogEntry,
  Workflow,
  WorkflowList,
  WorkflowSubmitRequest,
  WorkflowTemplate,
} from './types.ts';

export { ARGO } from './argoFailure.ts';

/** The label Argo puts on every Workflow a CronWorkflow starts. */
export const CRON_LABEL = 'workflows.argoproj.io/cron-workflow';

/** What a workflow summary keeps: enough for a run's status, without its spec and node tree. */
const SUMMARY_FIELDS = [
  'metadata.continue',
  'items.metadata.name',
  'items.metadata.labels',
  'items.metadata.creationTimestamp',
  'items.status.phase',
  'items.status.startedAt',
  'items.status.finishedAt',
  'items.status.message',
].join(',');

export interface SubmitInput {
  namespace: string;
  kind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate';
  template: string;
  /** Workflow parameters, passed as `name=value` and nothing else: never interpolated anywhere. */
  parameters: Readonly<Record<string, string>>;
  /** Labels for the workflow; values are sanitized into valid label text. */
  labels?: Readonly<Record<string, string>>;
  /**
   * Ask the cluster to check the creation without making the workflow (`serverDryRun`): the
   * template, the parameters and the permission to create are all proven, and nothing runs.
   */
  dryRun?: boolean;
}

export interface LogsResult {
  /** The last lines, oldest first. */
  lines: LogEntry[];
  /** More lines were read than kept (or the stream was longer than dpbot reads). */
  truncated: boolean;
}

/** The Argo Workflows server, as dpbot uses it. */
export interface ArgoClient {
  submit(input: SubmitInput): Promise<Workflow>;
  get(namespace: string, name: string): Promise<Workflow>;
  list(namespace: string, options?: { labelSelector?: string; limit?: number }): Promise<Workflow[]>;
  /** Stops the workflow: running steps are stopped, exit handlers still run. */
  stop(namespace: string, name: string, message?: string): Promise<Workflow>;
  /** Terminates the workflow at once: exit handlers do not run. */
  terminate(namespace: string, name: string): Promise<Workflow>;
  /** The last `tailLines` lines of the workflow's `container` (default main) logs. */
  logs(
    namespace: string,
    name: string,
    options?: { container?: string; tailLines?: number; podName?: string },
  ): Promise<LogsResult>;
  /**
   * Workflows with their metadata and status only (no spec, no nodes), for reading many runs at
   * once. Like the CronWorkflow reads, a status read: a 429 or 5xx is tried once more.
   */
  listSummaries(namespace: string, options?: { labelSelector?: string; limit?: number }): Promise<Workflow[]>;
  getCronWorkflow(namespace: string, name: string): Promise<CronWorkflow>;
  listCronWorkflows(namespace: string): Promise<CronWorkflow[]>;
  /** A WorkflowTemplate (in `namespace`) or ClusterWorkflowTemplate, as a task names it. */
  getTemplate(kind: SubmitInput['kind'], namespace: string, name: string): Promise<WorkflowTemplate>;
  /** The Argo UI page of a workflow. */
  workflowUrl(namespace: string, name: string): string;
}

export interface HttpArgoClientOptions {
  url: string;
  uiUrl?: string | undefined;
  token?: string | undefined;
  timeoutMs: number;
  log: Logger;
  /** Longest log stream read, in bytes; the rest is dropped. */
  maxLogBytes?: number;
}

const enc = encodeURIComponent;

/**
 * Operations on one workflow are tried once: the watcher and the caller decide about another
 * attempt, and a submission answered late is found by its labels rather than sent twice.
 */
const OPERATION_RETRY: RetryPolicy = { retries: 0, baseDelayMs: 0, maxWaitMs: 0 };

/**
 * A small typed client of argo-server's REST API: Bearer token, a bounded timeout on every
 * request, and failures turned into UpstreamErrors that say what to check. Every JSON call goes
 * through one core/http JsonClient.
 *
 * Operations on one workflow (submit, get, list, stop, terminate, logs) name the operation in
 * their errors (argoFailure.ts) and are never retried here: the watcher and the caller decide.
 * Status reads (CronWorkflows, workflow summaries) keep core/http's own messages and retry a 429
 * or 5xx once when Retry-After allows; the dataset status caches and explains their failures itself.
 */
export class HttpArgoClient implements ArgoClient {
  readonly #base: string;
  readonly #ui: string;
  readonly #token: string | undefined;
  readonly #server: ArgoServer;
  readonly #log: Logger;
  readonly #maxLogBytes: number;
  readonly #http: JsonClient;

  constructor(options: HttpArgoClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#ui = (options.uiUrl ?? options.url).replace(/\/+$/, '');
    // `argo auth token` prints "Bearer v2:..."; accept the token with or without the word.
    const token = options.token?.replace(/^Bearer\s+/i, '');
    this.#token = token;
    this.#server = { base: this.#base, timeoutMs: options.timeoutMs };
    this.#log = options.log;
    this.#maxLogBytes = options.maxLogBytes ?? 2 * 1024 * 1024;
    // An operation names itself in the call's context and gets argoFailure.ts's messages; a
    // status read names none and gets core/http's, which the dataset status quotes.
    this.#http = new JsonClient({
      system: ARGO,
      metricsSystem: 'argo',
      baseUrl: this.#base,
      timeoutMs: options.timeoutMs,
      retry: OPERATION_RETRY,
      ...(token ? { authorization: () => `Bearer ${token}` } : {}),
      errorFor: (answer, call) =>
        call.context === undefined ? undefined : argoFailure(answer, call.context),
      failureFor: (failure, call) => {
        if (call.context === undefined) return undefined;
        return failure.kind === 'notJson'
          ? argoNotJson(failure, call.context)
          : argoNoAnswer(failure, call.context, this.#server);
      },
      log: this.#log,
    });
  }

  workflowUrl(namespace: string, name: string): string {
    return `${this.#ui}/workflows/${enc(namespace)}/${enc(name)}`;
  }

  async submit(input: SubmitInput): Promise<Workflow> {
    const body: WorkflowSubmitRequest = {
      namespace: input.namespace,
      resourceKind: input.kind,
      resourceName: input.template,
      submitOptions: {
        parameters: Object.entries(input.parameters).map(([k, v]) => `${k}=${v}`),
        ...(input.labels && Object.keys(input.labels).length ? { labels: labelString(input.labels) } : {}),
        ...(input.dryRun ? { serverDryRun: true } : {}),
      },
    };
    return this.#json<Workflow>(
      'POST',
      `/api/v1/workflows/${enc(input.namespace)}/submit`,
      `${input.dryRun ? 'check a submission of' : 'submit'} ${input.kind} ${input.template} in namespace ${input.namespace}`,
      body,
    );
  }

  getTemplate(kind: SubmitInput['kind'], namespace: string, name: string): Promise<WorkflowTemplate> {
    return kind === 'ClusterWorkflowTemplate'
      ? this.#json<WorkflowTemplate>(
          'GET',
          `/api/v1/cluster-workflow-templates/${enc(name)}`,
          `read ClusterWorkflowTemplate ${name}`,
        )
      : this.#json<WorkflowTemplate>(
          'GET',
          `/api/v1/workflow-templates/${enc(namespace)}/${enc(name)}`,
          `read WorkflowTemplate ${name} in namespace ${namespace}`,
        );
  }

  get(namespace: string, name: string): Promise<Workflow> {
    return this.#json<Workflow>(
      'GET',
      `/api/v1/workflows/${enc(namespace)}/${enc(name)}`,
      `read workflow ${name} in namespace ${namespace}`,
    );
  }

  async list(
    namespace: string,
    options: { labelSelector?: string; limit?: number } = {},
  ): Promise<Workflow[]> {
    const list = await this.#json<WorkflowList>(
      'GET',
      `/api/v1/workflows/${enc(namespace)}`,
      `list workflows in namespace ${namespace}`,
      undefined,
      {
        ...(options.labelSelector ? { 'listOptions.labelSelector': options.labelSelector } : {}),
        ...(options.limit ? { 'listOptions.limit': String(options.limit) } : {}),
      },
    );
    return list.items ?? [];
  }

  stop(namespace: string, name: string, message?: string): Promise<Workflow> {
    return this.#json<Workflow>(
      'PUT',
      `/api/v1/workflows/${enc(namespace)}/${enc(name)}/stop`,
      `stop workflow ${name} in namespace ${namespace}`,
      { name, namespace, ...(message ? { message } : {}) },
    );
  }

  terminate(namespace: string, name: string): Promise<Workflow> {
    return this.#json<Workflow>(
      'PUT',
      `/api/v1/workflows/${enc(namespace)}/${enc(name)}/terminate`,
      `terminate workflow ${name} in namespace ${namespace}`,
      { name, namespace },
    );
  }

  async listSummaries(
    namespace: string,
    options: { labelSelector?: string; limit?: number } = {},
  ): Promise<Workflow[]> {
    const list = await this.#read<WorkflowList>(`/api/v1/workflows/${enc(namespace)}`, {
      ...(options.labelSelector ? { 'listOptions.labelSelector': options.labelSelector } : {}),
      fields: SUMMARY_FIELDS,
      ...(options.limit ? { 'listOptions.limit': String(options.limit) } : {}),
    });
    // The server sends `"items": null` for an empty list.
    return Array.isArray(list.items) ? list.items : [];
  }

  getCronWorkflow(namespace: string, name: string): Promise<CronWorkflow> {
    return this.#read<CronWorkflow>(`/api/v1/cron-workflows/${enc(namespace)}/${enc(name)}`);
  }

  async listCronWorkflows(namespace: string): Promise<CronWorkflow[]> {
    const list = await this.#read<CronWorkflowList>(`/api/v1/cron-workflows/${enc(namespace)}`);
    return Array.isArray(list.items) ? list.items : [];
  }

  /** A status read (one retry of a 429 or 5xx, core/http's messages); the shape is argo-server's. */
  async #read<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const started = performance.now();
    const body = await this.#http.request({ url: path, query, expectBody: true, retry: CACHED_READ_RETRY });
    this.#log.debug({ method: 'GET', path, ms: Math.round(performance.now() - started) }, 'argo request');
    // argo-server answers these paths with these objects; the callers read every field defensively.
    return (body && typeof body === 'object' ? body : {}) as T;
  }

  async logs(
    namespace: string,
    name: string,
    options: { container?: string; tailLines?: number; podName?: string } = {},
  ): Promise<LogsResult> {
    const tail = options.tailLines ?? 40;
    const query = new URLSearchParams({ 'logOptions.container': options.container ?? 'main' });
    query.set('logOptions.tailLines', String(tail));
    if (options.podName) query.set('podName', options.podName);
    const what = `read the logs of workflow ${name} in namespace ${namespace}`;
    const path = `/api/v1/workflows/${enc(namespace)}/${enc(name)}/log?${query}`;
    return this.#stream(what, path, async (response) => {
      const kept: LogEntry[] = [];
      let seen = 0;
      let bytes = 0;
      let cut = false;
      let pending = '';
      const take = (line: string) => {
        if (line.trim() === '') return;
        let parsed: { result?: LogEntry; error?: { message?: string } };
        try {
          parsed = JSON.parse(line) as typeof parsed;
        } catch {
          return;
        }
        if (parsed.error)
          throw new UpstreamError(
            ARGO,
            `the log stream broke off: ${parsed.error.message ?? 'unknown error'}`,
          );
        if (!parsed.result || typeof parsed.result.content !== 'string') return;
        seen++;
        kept.push({
          content: parsed.result.content,
          ...(parsed.result.podName ? { podName: parsed.result.podName } : {}),
        });
        if (kept.length > tail) kept.shift();
      };
      const reader = response.body?.getReader();
      if (reader) {
        const decoder = new TextDecoder();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          bytes += value.byteLength;
          if (bytes > this.#maxLogBytes) {
            cut = true;
            await reader.cancel();
            break;
          }
          pending += decoder.decode(value, { stream: true });
          const parts = pending.split('\n');
          pending = parts.pop() ?? '';
          for (const part of parts) take(part);
        }
        if (!cut) take(pending + decoder.decode());
      }
      return { lines: kept, truncated: cut || seen > kept.length };
    });
  }

  /** An operation on one workflow: tried once, its errors naming it (`what`). */
  async #json<T>(
    method: string,
    path: string,
    what: string,
    json?: unknown,
    query: Record<string, string> = {},
  ): Promise<T> {
    const started = performance.now();
    const body = await this.#http.request({
      method,
      url: path,
      query,
      context: what,
      // An empty answer is as wrong as one that is not JSON: a workflow was asked for.
      expectBody: true,
      ...(json === undefined ? {} : { json }),
    });
    this.#log.debug({ method, path, ms: Math.round(performance.now() - started) }, 'argo request');
    // argo-server answers these paths with these objects; the callers read every field defensively.
    return body as T;
  }

  /**
   * A GET whose answer is read as it arrives: argo-server streams logs as JSON lines, and
   * JsonClient only hands back a whole parsed body, so this one request makes its own fetch, with
   * the same token, timeout and error messages as the operations.
   */
  async #stream<T>(what: string, path: string, read: (response: Response) => Promise<T>): Promise<T> {
    const signal = AbortSignal.timeout(this.#server.timeoutMs);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    const started = performance.now();
    try {
      const response = await fetch(`${this.#base}${path}`, { method: 'GET', headers, signal });
      if (!response.ok) throw argoFailure(await argoAnswer(response), what);
      const result = await read(response);
      this.#log.debug(
        { method: 'GET', path, status: response.status, ms: Math.round(performance.now() - started) },
        'argo request',
      );
      return result;
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      const timedOut = signal.aborted || (error instanceof Error && error.name === 'TimeoutError');
      throw argoNoAnswer(
        { kind: timedOut ? 'timeout' : 'unreachable', method: 'GET', error },
        what,
        this.#server,
      );
    }
  }
}

/**
 * Builds the client from a server's settings (`argo`, or `datasets.argo`) and ARGO_TOKEN;
 * undefined when no URL is set.
 */
export function argoClientFromConfig(
  config: Pick<ArgoConfig, 'url' | 'uiUrl' | 'timeout'>,
  deps: { env: Env; log: Logger },
): ArgoClient | undefined {
  if (!config.url) return undefined;
  return new HttpArgoClient({
    url: config.url,
    uiUrl: config.uiUrl,
    token: readSecret(deps.env, 'ARGO_TOKEN'),
    timeoutMs: config.timeout,
    log: deps.log.child({ integration: 'argo' }),
  });
}
