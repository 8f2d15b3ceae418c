import { type SimRequest, type SimResponse, Simulator } from '../http.ts';
import type { ArgoObject } from './demoWorld.ts';

export interface ArgoCronSimulatorOptions {
  cronWorkflows: ArgoObject[];
  workflows: ArgoObject[];
  /** When set, the bearer token must be exactly this; otherwise any bearer token is accepted. */
  token?: string;
}

/** One requirement of a Kubernetes label selector: `k=v`, `k==v`, `k!=v`, `k`, `!k`. */
function selectorMatches(selector: string, labels: Record<string, string>): boolean {
  return selector
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .every((req) => {
      const ne = /^([^!=]+)!=(.*)$/.exec(req);
      if (ne) return labels[(ne[1] as string).trim()] !== (ne[2] as string).trim();
      const eq = /^([^!=]+)==?(.*)$/.exec(req);
      if (eq) return labels[(eq[1] as string).trim()] === (eq[2] as string).trim();
      if (req.startsWith('!')) return !(req.slice(1) in labels);
      return req in labels;
    });
}

/**
 * The part of the Argo Workflows server API the datasets capability reads: CronWorkflows (get and
 * list) and Workflows listed by label selector, with the server's error shape
 * (`{code, message}`, gRPC codes) and `"items": null` for empty lists.
 */
export function argoCronSimulator(
  options: ArgoCronSimulatorOptions,
): Simulator & { cronWorkflows: ArgoObject[]; workflows: ArgoObject[] } {
  const sim = new Simulator('Argo Workflows (cron)') as Simulator & {
    cronWorkflows: ArgoObject[];
    workflows: ArgoObject[];
  };
  sim.cronWorkflows = options.cronWorkflows;
  sim.workflows = options.workflows;

  const authorized = (req: SimRequest): SimResponse | undefined => {
    const header = req.headers.authorization ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (token && (!options.token || token === options.token)) return undefined;
    return { status: 401, body: { code: 16, message: 'token not valid' } };
  };
  const list = (items: ArgoObject[]) => ({
    metadata: { resourceVersion: String(1000 + sim.requests.length) },
    items: items.length ? items : null,
  });

  sim.route('GET', '/api/v1/cron-workflows/:namespace', (req) => {
    const denied = authorized(req);
    if (denied) return denied;
    const selector = req.query.get('listOptions.labelSelector');
    return {
      body: list(
        sim.cronWorkflows.filter(
          (c) =>
            c.metadata.namespace === req.params.namespace &&
            (!selector || selectorMatches(selector, c.metadata.labels ?? {})),
        ),
      ),
    };
  });

  sim.route('GET', '/api/v1/cron-workflows/:namespace/:name', (req) => {
    const denied = authorized(req);
    if (denied) return denied;
    const found = sim.cronWorkflows.find(
      (c) => c.metadata.namespace === req.params.namespace && c.metadata.name === req.params.name,
    );
    if (!found)
      return {
        status: 404,
        body: { code: 5, message: `cronworkflows.argoproj.io "${req.params.name}" not found` },
      };
    return { body: found };
  });

  sim.route('GET', '/api/v1/workflows/:namespace', (req) => {
    const denied = authorized(req);
    if (denied) return denied;
    const selector = req.query.get('listOptions.labelSelector');
    const matching = sim.workflows.filter(
      (w) =>
        w.metadata.namespace === req.params.namespace &&
        (!selector || selectorMatches(selector, w.metadata.labels ?? {})),
    );
    const limit = Number(req.query.get('listOptions.limit') ?? '0');
    if (Number.isInteger(limit) && limit > 0 && matching.length > limit) {
      return {
        body: {
          ...list(matching.slice(0, limit)),
          metadata: { resourceVersion: '1', continue: String(limit) },
        },
      };
    }
    return { body: list(matching) };
  });
  return sim;
}
