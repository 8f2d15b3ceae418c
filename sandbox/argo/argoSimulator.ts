// Whole: every route (submit, run, stop, logs, lists, CronWorkflows) works on one workflows' state.
import { createHash } from 'node:crypto';
import { type Fault, type RecordedRequest, type SimRequest, type SimResponse, Simulator } from '../http.ts';
import {
  LABEL_KEY,
  LABEL_VALUE,
  type NodeStatus,
  type Parameter,
  type Workflow,
  type WorkflowSubmitRequest,
} from './argoApi.ts';
import { selectorMatches } from './labelSelector.ts';

/**
 * The phases argo-server reports, written here rather than taken from dpbot: a simulator that
 * shares the client's list cannot catch the client's mistakes about it.
 */
type SimPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error';
const FINISHED: ReadonlySet<string> = new Set<SimPhase>(['Succeeded', 'Failed', 'Error']);

/**
 * An object kept as given and answered as it is: a CronWorkflow, or a workflow that ran before
 * (the history of a CronWorkflow). Only the metadata is read, to find and select it.
 */
export interface SimObject {
  /** `creationTimestamp`: when the controller made it (a CronWorkflow's run: when it was scheduled). */
  metadata: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    creationTimestamp?: string;
  };
  /** A workflow that ran: its phase and times, as the controller left them. */
  status?: Record<string, unknown>;
}

/** A Workflow or CronWorkflow as given: `spec` is required in both (Argo Workflows' OpenAPI document). */
export interface SimSpecObject extends SimObject {
  spec: Record<string, unknown>;
}

/** One step of a simulated workflow: a pod that runs for `ticks` advances, logging as it goes. */
export interface SimStep {
  name: string;
  /** Advances the step takes (default 1). */
  ticks?: number;
  /** Lines the main container prints, spread over the step's ticks. */
  logs?: readonly string[];
  /** When set, the step fails with this message when it ends. */
  fail?: string;
}

/** A WorkflowTemplate or ClusterWorkflowTemplate the simulator can submit from. */
export interface SimTemplate {
  kind: 'WorkflowTemplate' | 'ClusterWorkflowTemplate';
  name: string;
  /** The template's namespace (WorkflowTemplates only). */
  namespace?: string;
  /** Declared parameters: one without value or default must be given at submission. */
  parameters: readonly Parameter[];
  /** The steps a submission runs, decided from its parameters. */
  steps(parameters: Readonly<Record<string, string>>): SimStep[];
  /**
   * The template's `spec.ttlStrategy`: its workflows are deleted that many seconds after they end
   * (by the simulator's clock, `now`), as the workflow controller's TTL controller does.
   */
  ttlStrategy?: TtlStrategy;
}

/** Argo's TTLStrategy: seconds a finished workflow is kept, by outcome (success/failure win over completion). */
export interface TtlStrategy {
  secondsAfterCompletion?: number;
  secondsAfterSuccess?: number;
  secondsAfterFailure?: number;
}

export interface ArgoSimulatorOptions {
  /** The bearer token accepted; unset: no authentication. */
  token?: string;
  /** Namespaces the token may not touch (403). */
  forbiddenNamespaces?: readonly string[];
  /**
   * Single RBAC denials to the token's service account (see ArgoSimulator.deny); the API server
   * refuses them with 403 whether or not the call is a dry run.
   */
  denials?: readonly ArgoDenial[];
  /** Advance a workflow one tick each time it is read (default true); else only advance() moves it. */
  autoAdvance?: boolean;
  now?: () => Date;
  /** CronWorkflows to answer (as addCronWorkflow). */
  cronWorkflows?: readonly SimSpecObject[];
  /** Workflows that already ran, listed and read as given and never advanced (as addWorkflow). */
  workflows?: readonly SimSpecObject[];
}

/** `create workflows` in a namespace, `get workflowtemplates`, `get clusterworkflowtemplates`. */
export interface ArgoDenial {
  verb: string;
  resource: 'workflows' | 'workflowtemplates' | 'clusterworkflowtemplates' | 'cronworkflows';
  /** Unset: every namespace. */
  namespace?: string;
}

interface SimNode {
  id: string;
  podName: string;
  step: SimStep;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  ticks: number;
  emitted: string[];
  message?: string;
  startedAt?: string;
  finishedAt?: string;
}

interface SimWorkflow {
  name: string;
  namespace: string;
  uid: string;
  kind: SimTemplate['kind'];
  template: string;
  parameters: Parameter[];
  labels: Record<string, string>;
  createdAt: string;
  phase: SimPhase | '';
  startedAt?: string;
  finishedAt?: string;
  message?: string;
  shutdown?: 'Stop' | 'Terminate';
  ttlStrategy?: TtlStrategy;
  nodes: SimNode[];
}

/** What a later simulator with the same templates needs to answer for the same workflows. */
export interface ArgoSnapshot {
  seq: number;
  workflows: SimWorkflow[];
}

const grpc = (status: number, code: number, message: string): SimResponse => ({
  status,
  body: { code, message, error: message },
});

/**
 * A loopback Argo Workflows server: submits from (Cluster)WorkflowTemplates, runs workflows that
 * advance deterministically (a tick per read, or when told), fail with a failing node and its
 * message, stop and terminate, stream logs, lists workflows by label selector (with workflows
 * that ran before, such as a CronWorkflow's history), and answers CronWorkflow reads — in
 * argo-server's JSON, with its grpc-gateway error bodies for 401, 403, 404 and 400 and
 * `"items": null` for an empty list.
 */
export class ArgoSimulator {
  readonly sim: Simulator;
  /** Every accepted or rejected submission body, as received. */
  readonly submissions: WorkflowSubmitRequest[] = [];
  autoAdvance: boolean;
  readonly #templates = new Map<string, SimTemplate>();
  readonly #workflows = new Map<string, SimWorkflow>();
  readonly #crons = new Map<string, SimObject>();
  readonly #recorded = new Map<string, SimObject>();
  readonly #options: ArgoSimulatorOptions;
  readonly #denials: ArgoDenial[];
  readonly #now: () => Date;
  #seq = 0;

  constructor(options: ArgoSimulatorOptions = {}) {
    this.#options = options;
    this.#denials = [...(options.denials ?? [])];
    this.autoAdvance = options.autoAdvance ?? true;
    this.#now = options.now ?? (() => new Date());
    for (const cron of options.cronWorkflows ?? []) this.addCronWorkflow(cron);
    for (const workflow of options.workflows ?? []) this.addWorkflow(workflow);
    const guard =
      (verb: string, handler: (req: SimRequest) => SimResponse) =>
      (req: SimRequest): SimResponse => {
        this.#collect();
        return this.#authorize(req, verb) ?? handler(req);
      };
    this.sim = new Simulator('argo-workflows')
      .route(
        'POST',
        '/api/v1/workflows/:namespace/submit',
        guard('create', (r) => this.#submit(r)),
      )
      .route(
        'GET',
        '/api/v1/workflows/:namespace',
        guard('list', (r) => this.#list(r)),
      )
      .route(
        'GET',
        '/api/v1/workflows/:namespace/:name',
        guard('get', (r) => this.#get(r)),
      )
      .route(
        'DELETE',
        '/api/v1/workflows/:namespace/:name',
        guard('delete', (r) => this.#delete(r)),
      )
      .route(
        'PUT',
        '/api/v1/workflows/:namespace/:name/stop',
        guard('update', (r) => this.#shutdown(r, 'Stop')),
      )
      .route(
        'PUT',
        '/api/v1/workflows/:namespace/:name/terminate',
        guard('update', (r) => this.#shutdown(r, 'Terminate')),
      )
      .route(
        'GET',
        '/api/v1/workflows/:namespace/:name/log',
        guard('get', (r) => this.#logs(r)),
      )
      .route(
        'GET',
        '/api/v1/cron-workflows/:namespace',
        guard('list', (r) => this.#cronList(r)),
      )
      .route(
        'GET',
        '/api/v1/cron-workflows/:namespace/:name',
        guard('get', (r) => this.#cronGet(r)),
      )
      .route(
        'GET',
        '/api/v1/workflow-templates/:namespace/:name',
        guard('get', (r) => this.#templateGet(r, 'WorkflowTemplate')),
      )
      .route(
        'GET',
        '/api/v1/cluster-workflow-templates/:name',
        guard('get', (r) => this.#templateGet(r, 'ClusterWorkflowTemplate')),
      )
      // What the sandbox's "Argo UI" links open: a plain page, since there is no UI to show.
      .route('GET', '/ui/workflows/:namespace/:name', (r) => this.#uiPage(r));
  }

  get url(): string {
    return this.sim.url;
  }

  start(port = 0): Promise<string> {
    return this.sim.start(port);
  }

  stop(): Promise<void> {
    return this.sim.stop();
  }

  /** Every request received, oldest first (the simulator's own record). */
  get requests(): RecordedRequest[] {
    return this.sim.requests;
  }

  inject(fault: Fault): this {
    this.sim.inject(fault);
    return this;
  }

  clearFaults(): void {
    this.sim.clearFaults();
  }

  addTemplate(template: SimTemplate): this {
    this.#templates.set(this.#templateKey(template.kind, template.namespace ?? '', template.name), template);
    return this;
  }

  addCronWorkflow(cron: SimSpecObject): this {
    this.#crons.set(`${cron.metadata.namespace ?? ''}/${cron.metadata.name ?? ''}`, structuredClone(cron));
    return this;
  }

  /** A workflow that ran before: listed and read as given, never advanced or shut down. */
  addWorkflow(workflow: SimSpecObject): this {
    const key = `${workflow.metadata.namespace ?? ''}/${workflow.metadata.name ?? ''}`;
    this.#recorded.set(key, structuredClone(workflow));
    return this;
  }

  /** Moves a workflow on by `ticks` steps of its life, as the controller would over time. */
  advance(namespace: string, name: string, ticks = 1): Workflow {
    const wf = this.#workflows.get(`${namespace}/${name}`);
    if (!wf) throw new Error(`no workflow ${namespace}/${name}`);
    for (let i = 0; i < ticks; i++) this.#tick(wf);
    return this.#render(wf);
  }

  /** Deletes a workflow, as `argo delete` would: from then on it is not found (404). */
  delete(namespace: string, name: string): boolean {
    return this.#workflows.delete(`${namespace}/${name}`);
  }

  /** The state now, to be restored by a later simulator given the same templates. */
  snapshot(): ArgoSnapshot {
    return { seq: this.#seq, workflows: structuredClone([...this.#workflows.values()]) };
  }

  /** Puts a snapshot's workflows in place (after the templates are added), as they were. */
  restore(snapshot: ArgoSnapshot): this {
    this.#seq = Math.max(this.#seq, snapshot.seq);
    for (const wf of snapshot.workflows)
      this.#workflows.set(`${wf.namespace}/${wf.name}`, structuredClone(wf));
    return this;
  }

  /**
   * Deletes the finished workflows whose TTL has passed by the simulator's clock, as the
   * controller's TTL controller does; every request looks first, so a test moves its clock and
   * the next read finds the workflow gone.
   */
  #collect(): void {
    const now = this.#now().getTime();
    for (const [key, wf] of this.#workflows) {
      const ttl = wf.ttlStrategy;
      if (!ttl || !wf.finishedAt || !this.#done(wf)) continue;
      const seconds =
        (wf.phase === 'Succeeded' ? ttl.secondsAfterSuccess : ttl.secondsAfterFailure) ??
        ttl.secondsAfterCompletion;
      if (seconds !== undefined && Date.parse(wf.finishedAt) + seconds * 1000 <= now)
        this.#workflows.delete(key);
    }
  }

  /** The workflow as the API would return it now, without advancing it. */
  workflow(namespace: string, name: string): Workflow | undefined {
    this.#collect();
    const wf = this.#workflows.get(`${namespace}/${name}`);
    return wf ? this.#render(wf) : undefined;
  }

  /** Every workflow, oldest first. */
  workflows(): Workflow[] {
    this.#collect();
    return [...this.#workflows.values()].map((wf) => this.#render(wf));
  }

  #templateKey(kind: SimTemplate['kind'], namespace: string, name: string): string {
    return kind === 'ClusterWorkflowTemplate' ? `cluster/${name}` : `${namespace}/${name}`;
  }

  /** Refuses `verb` on `resource` from now on, as a Role without it would. */
  deny(denial: ArgoDenial): this {
    this.#denials.push(denial);
    return this;
  }

  allowAll(): void {
    this.#denials.length = 0;
  }

  #denied(verb: string, resource: ArgoDenial['resource'], ns: string): SimResponse | undefined {
    const found = this.#denials.find(
      (d) => d.verb === verb && d.resource === resource && (d.namespace === undefined || d.namespace === ns),
    );
    if (!found) return undefined;
    const where =
      resource === 'clusterworkflowtemplates' ? 'at the cluster scope' : `in the namespace "${ns}"`;
    return grpc(
      403,
      7,
      `${resource}.argoproj.io is forbidden: User "system:serviceaccount:argo:dpbot" cannot ${verb} resource "${resource}" in API group "argoproj.io" ${where}`,
    );
  }

  #templateGet(req: SimRequest, kind: SimTemplate['kind']): SimResponse {
    const ns = req.params.namespace ?? '';
    const plural = kind === 'WorkflowTemplate' ? 'workflowtemplates' : 'clusterworkflowtemplates';
    const refused = this.#denied('get', plural, ns);
    if (refused) return refused;
    const template = this.#templates.get(this.#templateKey(kind, ns, req.params.name ?? ''));
    if (!template) return grpc(404, 5, `${plural}.argoproj.io "${req.params.name ?? ''}" not found`);
    return {
      body: {
        metadata: {
          name: template.name,
          ...(kind === 'WorkflowTemplate' ? { namespace: ns } : {}),
          uid: `00000000-0000-4000-9000-${createHash('sha256').update(template.name).digest('hex').slice(0, 12)}`,
          resourceVersion: '4711',
          creationTimestamp: '2026-01-05T09:00:00Z',
        },
        spec: {
          entrypoint: 'main',
          arguments: { parameters: template.parameters.map((p) => ({ ...p })) },
          templates: [{ name: 'main', container: { image: 'registry.example.com/ops:1.0.0' } }],
          ...(template.ttlStrategy ? { ttlStrategy: { ...template.ttlStrategy } } : {}),
        },
      },
    };
  }

  #authorize(req: SimRequest, verb: string): SimResponse | undefined {
    const token = this.#options.token;
    if (token && req.headers.authorization !== `Bearer ${token}`) {
      return grpc(401, 16, 'token not valid. see https://argo-workflows.readthedocs.io/en/latest/faq/');
    }
    const ns = req.params.namespace ?? '';
    if (this.#options.forbiddenNamespaces?.includes(ns)) {
      const resource = req.path.includes('cron-workflows') ? 'cronworkflows' : 'workflows';
      return grpc(
        403,
        7,
        `${resource}.argoproj.io is forbidden: User "system:serviceaccount:argo:dpbot" cannot ${verb} resource "${resource}" in API group "argoproj.io" in the namespace "${ns}"`,
      );
    }
    return undefined;
  }

  #submit(req: SimRequest): SimResponse {
    const body = (req.body ?? {}) as Partial<WorkflowSubmitRequest>;
    this.submissions.push(structuredClone(body) as WorkflowSubmitRequest);
    const namespace = req.params.namespace ?? '';
    if (body.namespace && body.namespace !== namespace)
      return grpc(400, 3, `namespace in the body (${body.namespace}) differs from the path (${namespace})`);
    const kind = body.resourceKind;
    if (kind !== 'WorkflowTemplate' && kind !== 'ClusterWorkflowTemplate')
      return grpc(400, 3, `resourceKind "${String(kind)}" is not supported by this simulator`);
    // argo-server reads the template (as the caller) to validate the workflow before creating it.
    const plural = kind === 'WorkflowTemplate' ? 'workflowtemplates' : 'clusterworkflowtemplates';
    const cannotRead = this.#denied('get', plural, namespace);
    if (cannotRead) return cannotRead;
    const template = this.#templates.get(this.#templateKey(kind, namespace, body.resourceName ?? ''));
    if (!template) {
      const plural = kind === 'WorkflowTemplate' ? 'workflowtemplates' : 'clusterworkflowtemplates';
      return grpc(404, 5, `${plural}.argoproj.io "${body.resourceName ?? ''}" not found`);
    }
    const opts = body.submitOptions ?? {};
    const given = new Map<string, string>();
    for (const raw of opts.parameters ?? []) {
      const eq = raw.indexOf('=');
      if (eq <= 0) return grpc(400, 3, `expected parameter of the form: NAME=VALUE. Received: "${raw}"`);
      given.set(raw.slice(0, eq), raw.slice(eq + 1));
    }
    const labels: Record<string, string> = {};
    for (const pair of opts.labels ? opts.labels.split(',') : []) {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? '' : pair.slice(eq + 1);
      if (!LABEL_KEY.test(key))
        return grpc(
          400,
          3,
          `metadata.labels: Invalid value: "${key}": name part must consist of alphanumeric characters`,
        );
      if (value.length > 63 || !LABEL_VALUE.test(value))
        return grpc(
          400,
          3,
          `metadata.labels: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        );
      labels[key] = value;
    }
    // Argo keeps the template's parameters, overrides the given ones and appends unknown ones.
    const parameters: Parameter[] = template.parameters.map((p) => {
      const value = given.get(p.name) ?? p.value ?? p.default;
      return { name: p.name, ...(value !== undefined ? { value } : {}) };
    });
    for (const [name, value] of given)
      if (!template.parameters.some((p) => p.name === name)) parameters.push({ name, value });
    const unset = parameters.find((p) => p.value === undefined);
    if (unset) return grpc(400, 3, `spec.arguments.parameters.${unset.name}.value is required`);
    const values = Object.fromEntries(parameters.map((p) => [p.name, p.value ?? '']));

    const seq = ++this.#seq;
    const suffix = createHash('sha256').update(`${template.name}/${seq}`).digest('hex').slice(0, 5);
    const name = `${opts.generateName ?? `${template.name}-`}${suffix}`;
    const steps = template.steps(values);
    const wf: SimWorkflow = {
      name,
      namespace,
      uid: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      kind,
      template: template.name,
      parameters,
      labels: {
        ...labels,
        [kind === 'WorkflowTemplate'
          ? 'workflows.argoproj.io/workflow-template'
          : 'workflows.argoproj.io/cluster-workflow-template']: template.name,
      },
      createdAt: this.#now().toISOString(),
      phase: '',
      ...(template.ttlStrategy ? { ttlStrategy: { ...template.ttlStrategy } } : {}),
      nodes: steps.map((step, i) => {
        const hash = createHash('sha256').update(`${name}/${i}/${step.name}`).digest();
        return {
          id: `${name}-${hash.readUInt32BE(0)}`,
          podName: `${name}-${step.name}-${hash.readUInt32BE(4)}`.slice(0, 253),
          step,
          phase: 'Pending',
          ticks: 0,
          emitted: [],
        };
      }),
    };
    const cannotCreate = this.#denied('create', 'workflows', namespace);
    if (cannotCreate) return cannotCreate;
    // A server dry run: the API server checks the creation and answers the object it would make.
    if (opts.serverDryRun) return { body: this.#render(wf) };
    this.#workflows.set(`${namespace}/${name}`, wf);
    return { body: this.#render(wf) };
  }

  #find(req: SimRequest): SimWorkflow | SimResponse {
    const wf = this.#workflows.get(`${req.params.namespace ?? ''}/${req.params.name ?? ''}`);
    return wf ?? grpc(404, 5, `workflows.argoproj.io "${req.params.name ?? ''}" not found`);
  }

  /** argo-server answers a deletion with an empty WorkflowDeleteResponse. */
  #delete(req: SimRequest): SimResponse {
    const refused = this.#denied('delete', 'workflows', req.params.namespace ?? '');
    if (refused) return refused;
    const wf = this.#find(req);
    if (!('name' in wf)) return wf;
    this.#workflows.delete(`${wf.namespace}/${wf.name}`);
    return { body: {} };
  }

  #get(req: SimRequest): SimResponse {
    const recorded = this.#recorded.get(`${req.params.namespace ?? ''}/${req.params.name ?? ''}`);
    if (recorded) return { body: recorded };
    const wf = this.#find(req);
    if (!('name' in wf)) return wf;
    if (this.autoAdvance) this.#tick(wf);
    return { body: this.#render(wf) };
  }

  #list(req: SimRequest): SimResponse {
    const ns = req.params.namespace ?? '';
    const selector = req.query.get('listOptions.labelSelector');
    const live = [...this.#workflows.values()]
      .filter((wf) => wf.namespace === ns)
      .reverse()
      .map((wf): SimObject => this.#render(wf));
    const recorded = [...this.#recorded.values()].filter((w) => w.metadata.namespace === ns);
    const matching = [...live, ...recorded].filter(
      (w) => !selector || selectorMatches(selector, w.metadata.labels ?? {}),
    );
    return this.#listAnswer(matching, Number(req.query.get('listOptions.limit') ?? 0));
  }

  /** A list as argo-server sends it: `"items": null` when empty, `continue` when cut at the limit. */
  #listAnswer(items: readonly SimObject[], limit: number): SimResponse {
    const cut = Number.isInteger(limit) && limit > 0 && items.length > limit;
    const shown = cut ? items.slice(0, limit) : items;
    return {
      body: {
        metadata: {
          resourceVersion: String(1000 + this.sim.requests.length),
          ...(cut ? { continue: String(limit) } : {}),
        },
        items: shown.length ? shown : null,
      },
    };
  }

  #shutdown(req: SimRequest, how: 'Stop' | 'Terminate'): SimResponse {
    const wf = this.#find(req);
    if (!('name' in wf)) return wf;
    if (this.#done(wf)) return grpc(400, 9, 'cannot shutdown a completed workflow');
    wf.shutdown = how;
    if (how === 'Terminate' || wf.phase === '' || wf.phase === 'Pending') this.#finishShutdown(wf);
    return { body: this.#render(wf) };
  }

  #logs(req: SimRequest): SimResponse {
    const wf = this.#find(req);
    if (!('name' in wf)) return wf;
    const container = req.query.get('logOptions.container') ?? 'main';
    const tail = Number(req.query.get('logOptions.tailLines') ?? 0);
    const pod = req.query.get('podName');
    const lines: string[] = [];
    for (const node of wf.nodes) {
      if (pod && node.podName !== pod) continue;
      const content =
        container === 'main'
          ? node.emitted
          : container === 'wait' && node.phase !== 'Pending'
            ? ['time="-" level=info msg="Starting Workflow Executor"']
            : [];
      const shown = tail > 0 ? content.slice(-tail) : content;
      for (const line of shown)
        lines.push(`${JSON.stringify({ result: { content: line, podName: node.podName } })}\n`);
    }
    return { text: lines.join(''), headers: { 'content-type': 'application/json' } };
  }

  #uiPage(req: SimRequest): SimResponse {
    const wf = this.workflow(req.params.namespace ?? '', req.params.name ?? '');
    if (!wf) return { status: 404, text: 'No such workflow in the sandbox.\n' };
    const nodes = Object.values(wf.status?.nodes ?? {}).filter((n) => n.type === 'Pod');
    const lines = [
      `Argo Workflows (sandbox) — ${wf.metadata.namespace}/${wf.metadata.name}`,
      `phase ${wf.status?.phase || 'Pending'}, progress ${wf.status?.progress ?? '-'}${wf.status?.message ? `, ${wf.status.message}` : ''}`,
      ...(wf.spec?.arguments?.parameters ?? []).map((p) => `  parameter ${p.name} = ${p.value ?? ''}`),
      ...nodes.map((n) => `  step ${n.displayName}: ${n.phase}${n.message ? ` — ${n.message}` : ''}`),
    ];
    return { text: `${lines.join('\n')}\n` };
  }

  #cronList(req: SimRequest): SimResponse {
    const ns = req.params.namespace ?? '';
    const selector = req.query.get('listOptions.labelSelector');
    const items = [...this.#crons.values()].filter(
      (c) => c.metadata.namespace === ns && (!selector || selectorMatches(selector, c.metadata.labels ?? {})),
    );
    return this.#listAnswer(items, 0);
  }

  #cronGet(req: SimRequest): SimResponse {
    const cron = this.#crons.get(`${req.params.namespace ?? ''}/${req.params.name ?? ''}`);
    return cron
      ? { body: cron }
      : grpc(404, 5, `cronworkflows.argoproj.io "${req.params.name ?? ''}" not found`);
  }

  #done(wf: SimWorkflow): boolean {
    return FINISHED.has(wf.phase);
  }

  #finishShutdown(wf: SimWorkflow): void {
    const now = this.#now().toISOString();
    for (const node of wf.nodes) {
      if (node.phase === 'Running') {
        node.phase = 'Failed';
        node.message = `workflow shutdown with strategy:  ${wf.shutdown ?? 'Stop'}`;
        node.finishedAt = now;
      }
    }
    wf.startedAt ??= now;
    wf.phase = 'Failed';
    wf.message = `Stopped with strategy '${wf.shutdown ?? 'Stop'}'`;
    wf.finishedAt = now;
  }

  /** One tick of the controller: start, run a step a little further, or finish. */
  #tick(wf: SimWorkflow): void {
    if (this.#done(wf)) return;
    const now = this.#now().toISOString();
    if (wf.shutdown) {
      this.#finishShutdown(wf);
      return;
    }
    if (wf.phase === '') {
      wf.phase = 'Pending';
      return;
    }
    if (wf.phase === 'Pending') {
      wf.phase = 'Running';
      wf.startedAt = now;
      this.#startNext(wf, now);
      return;
    }
    const node = wf.nodes.find((n) => n.phase === 'Running');
    if (!node) return;
    node.ticks++;
    const total = Math.max(1, node.step.ticks ?? 1);
    const logs = node.step.logs ?? [];
    const due = Math.ceil((logs.length * node.ticks) / total);
    while (node.emitted.length < Math.min(due, logs.length))
      node.emitted.push(logs[node.emitted.length] ?? '');
    if (node.ticks < total) return;
    node.finishedAt = now;
    if (node.step.fail) {
      node.phase = 'Failed';
      node.message = node.step.fail;
      node.emitted.push(`ERROR: ${node.step.fail}`);
      wf.phase = 'Failed';
      wf.message = `child '${node.id}' failed`;
      wf.finishedAt = now;
      return;
    }
    node.phase = 'Succeeded';
    if (!this.#startNext(wf, now)) {
      wf.phase = 'Succeeded';
      wf.finishedAt = now;
    }
  }

  #startNext(wf: SimWorkflow, now: string): boolean {
    const next = wf.nodes.find((n) => n.phase === 'Pending');
    if (!next) return false;
    next.phase = 'Running';
    next.startedAt = now;
    return true;
  }

  #render(wf: SimWorkflow): Workflow {
    const finished = wf.nodes.filter((n) => n.phase === 'Succeeded' || n.phase === 'Failed').length;
    const nodes: Record<string, NodeStatus> = {};
    const started = wf.nodes.filter((n) => n.phase !== 'Pending');
    if (wf.phase !== '' && wf.phase !== 'Pending') {
      nodes[wf.name] = {
        id: wf.name,
        name: wf.name,
        displayName: wf.name,
        type: 'Steps',
        templateName: 'main',
        phase: wf.phase,
        ...(wf.phase === 'Failed' && wf.message ? { message: wf.message } : {}),
        startedAt: wf.startedAt ?? null,
        finishedAt: wf.finishedAt ?? null,
        progress: `${finished}/${wf.nodes.length}`,
        children: started.map((n) => n.id),
      };
    }
    for (const n of started) {
      nodes[n.id] = {
        id: n.id,
        name: `${wf.name}[0].${n.step.name}`,
        displayName: n.step.name,
        type: 'Pod',
        templateName: n.step.name,
        phase: n.phase === 'Pending' ? 'Pending' : n.phase,
        ...(n.message ? { message: n.message } : {}),
        startedAt: n.startedAt ?? null,
        finishedAt: n.finishedAt ?? null,
        progress: n.phase === 'Succeeded' || n.phase === 'Failed' ? '1/1' : '0/1',
        boundaryID: wf.name,
      };
    }
    const phase = wf.phase;
    return {
      metadata: {
        name: wf.name,
        generateName: `${wf.template}-`,
        namespace: wf.namespace,
        uid: wf.uid,
        creationTimestamp: wf.createdAt,
        labels: {
          ...wf.labels,
          'workflows.argoproj.io/completed': String(this.#done(wf)),
          ...(phase ? { 'workflows.argoproj.io/phase': phase } : {}),
        },
      },
      spec: {
        arguments: { parameters: structuredClone(wf.parameters) },
        workflowTemplateRef: {
          name: wf.template,
          ...(wf.kind === 'ClusterWorkflowTemplate' ? { clusterScope: true } : {}),
        },
        ...(wf.shutdown ? { shutdown: wf.shutdown } : {}),
      },
      status: {
        phase,
        startedAt: wf.startedAt ?? null,
        finishedAt: wf.finishedAt ?? null,
        progress: `${finished}/${wf.nodes.length}`,
        ...(wf.message ? { message: wf.message } : {}),
        nodes,
      },
    };
  }
}
