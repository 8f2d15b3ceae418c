import type { DoctorCheck, Finding } from '../../core/doctor.ts';
import { ConfigError, errorMessage, NotFoundError, UpstreamError } from '../../core/errors.ts';
import {
  type AccessQuestion,
  describeRef,
  type KubernetesClusters,
  kubernetesFromConfig,
  rbacResource,
  type WorkloadRef,
  workloadRef,
} from '../../integrations/kubernetes/kubernetes.ts';
import { resolveConfigRelative } from '../config/loadConfig.ts';
import { type DoctorContext, notConfigured, noteCheck } from './context.ts';

const SYSTEM = 'kubernetes';

/** One RBAC permission scaling needs, and what for. */
interface Need extends AccessQuestion {
  why: string;
}

const named = (q: Pick<AccessQuestion, 'resource' | 'subresource'>) =>
  q.subresource ? `${q.resource}/${q.subresource}` : q.resource;

/** What dpbot's scaling does to a target, in RBAC terms (README, "Scaling workers"). */
export function scalingNeeds(ref: WorkloadRef, options: { offerHpaMinReplicas: boolean }): Need[] {
  const [resource, group] = rbacResource(ref);
  const { namespace } = ref;
  const needs: Need[] = [{ verb: 'get', group, resource, namespace, why: 'read the worker count' }];
  if (ref.kind === 'Deployment' || ref.kind === 'StatefulSet')
    needs.push(
      { verb: 'get', group, resource, subresource: 'scale', namespace, why: 'read the scale' },
      { verb: 'update', group, resource, subresource: 'scale', namespace, why: 'change the worker count' },
    );
  else needs.push({ verb: 'update', group, resource, namespace, why: 'change the worker count' });
  const hpaTarget =
    ref.kind === 'Custom' ? ref.resourceKind : ref.kind === 'ConfigMap' ? undefined : ref.kind;
  if (hpaTarget) {
    const hpa = { group: 'autoscaling', resource: 'horizontalpodautoscalers', namespace };
    needs.push({ ...hpa, verb: 'list', why: 'see whether an HPA manages it' });
    if (options.offerHpaMinReplicas)
      needs.push(
        { ...hpa, verb: 'get', why: '--hpa-min: read the HPA' },
        { ...hpa, verb: 'patch', why: "--hpa-min: raise the HPA's minimum" },
      );
  }
  const watchesPods =
    ref.kind === 'Deployment' ||
    ref.kind === 'StatefulSet' ||
    ('selector' in ref && ref.selector !== undefined);
  if (watchesPods)
    needs.push({ verb: 'list', group: '', resource: 'pods', namespace, why: 'watch the pods become ready' });
  needs.push({
    verb: 'list',
    group: '',
    resource: 'events',
    namespace,
    why: '`changes`: show worker counts changed outside dpbot',
  });
  return needs;
}

/** `grant it: add verbs [get, update] on deployments/scale (API group "apps") to the Role bound to …`. */
function grantFix(need: Need, all: readonly Need[], who: string | undefined): string {
  const verbs = [
    ...new Set(
      all
        .filter((n) => named(n) === named(need) && n.group === need.group && n.namespace === need.namespace)
        .map((n) => n.verb),
    ),
  ];
  const group = need.group ? `API group "${need.group}"` : 'the core API group ""';
  return `grant it: add verbs [${verbs.join(', ')}] on ${named(need)} (${group}) to the Role bound to ${who ?? "dpbot's service account"} in namespace ${need.namespace}`;
}

async function permissionFindings(
  clusters: KubernetesClusters,
  cluster: string,
  needs: readonly Need[],
  who: Promise<string | undefined>,
): Promise<Finding[]> {
  const answers = await Promise.all(needs.map((need) => clusters.canI(cluster, need)));
  const findings: Finding[] = [];
  for (const [i, need] of needs.entries()) {
    const where = `${need.verb} ${named(need)} in ${need.namespace}`;
    if (answers[i]?.allowed) findings.push({ status: 'ok', message: `may ${where}` });
    else
      findings.push({
        status: 'fail',
        message: `may not ${where} (needed to ${need.why})`,
        fix: grantFix(need, needs, await who),
      });
  }
  return findings;
}

async function existsFinding(
  clusters: KubernetesClusters,
  ref: WorkloadRef,
  setting: string,
): Promise<Finding> {
  try {
    const state = await clusters.read(ref);
    return { status: 'ok', message: `${describeRef(ref)} exists (${state.replicas} now)` };
  } catch (error) {
    if (error instanceof NotFoundError)
      return {
        status: 'fail',
        message: `${describeRef(ref)} does not exist on cluster "${ref.cluster}"`,
        fix: `create it, or correct ${setting} (namespace, object, kind)`,
      };
    // A refused read is reported by the permission lines; anything else is this line's.
    // A refused read fails in the permission lines (with its fix); it is not counted twice.
    if (error instanceof UpstreamError && error.status === 403)
      return {
        status: 'warn',
        message: `cannot tell whether ${describeRef(ref)} exists: a read it needs is refused (see the failed permission)`,
      };
    if (error instanceof UpstreamError)
      return { status: 'fail', message: error.message, fix: `check ${setting} and the object it names` };
    throw error;
  }
}

/**
 * Kubernetes: per team target, whether it exists and a SelfSubjectAccessReview for every verb and
 * resource scaling needs; per cluster with `kubernetes.argocdNamespace`, reading Argo CD's
 * Applications. The fixes name the service account the cluster says dpbot is.
 */
export function kubernetesChecks(ctx: DoctorContext): DoctorCheck[] {
  const { config } = ctx;
  const simulated = ctx.simulated(SYSTEM);
  if (config.teams.length === 0) return [noteCheck(SYSTEM, '', simulated, notConfigured('no teams'))];
  const clusters = kubernetesFromConfig(config, {
    env: ctx.env,
    resolvePath: (p) => resolveConfigRelative({ baseDir: ctx.configDir }, p),
    log: ctx.log,
  });
  if (!clusters) return [];
  const loaded = clusters.load();
  loaded.catch(() => undefined);
  const whoCache = new Map<string, Promise<string | undefined>>();
  const who = (cluster: string) => {
    let found = whoCache.get(cluster);
    if (!found) {
      found = clusters.whoAmI(cluster).catch(() => undefined);
      whoCache.set(cluster, found);
    }
    return found;
  };
  const kubeconfigFailure = (error: unknown): Finding =>
    error instanceof ConfigError
      ? {
          status: 'fail',
          message: error.problems.join('; '),
          fix: 'fix kubernetes.kubeconfig (or KUBECONFIG) and the targets’ cluster names',
        }
      : {
          status: 'fail',
          message: errorMessage(error),
          // No connection at all is about the address; an answer that refused is about the credentials.
          fix: /cannot reach/.test(errorMessage(error))
            ? "start the cluster's API server there, or correct the cluster's server in the kubeconfig (kubernetes.kubeconfig, or KUBECONFIG), and make sure dpbot can reach it; then run dpbot doctor again"
            : "make sure the clusters answer dpbot's credentials",
        };
  const checks: DoctorCheck[] = [];
  config.teams.forEach((team, i) => {
    team.targets.forEach((target, j) => {
      const ref = workloadRef(target);
      const setting = `teams[${i}].targets[${j}]`;
      checks.push({
        system: SYSTEM,
        subject: team.targets.length > 1 ? `${team.name}/${target.name}` : team.name,
        simulated,
        run: async () => {
          await loaded;
          const needs = scalingNeeds(ref, { offerHpaMinReplicas: config.kubernetes.offerHpaMinReplicas });
          const [exists, permissions] = await Promise.all([
            existsFinding(clusters, ref, setting),
            permissionFindings(clusters, ref.cluster, needs, who(ref.cluster)),
          ]);
          return [exists, ...permissions];
        },
        onError: kubeconfigFailure,
      });
    });
  });
  const argoNamespace = config.kubernetes.argocdNamespace;
  if (argoNamespace) {
    const clusterNames = [...new Set(config.teams.flatMap((t) => t.targets.map((x) => x.cluster)))];
    for (const cluster of clusterNames)
      checks.push({
        system: SYSTEM,
        subject: `cluster ${cluster}`,
        simulated,
        run: async () => {
          await loaded;
          const need: Need = {
            verb: 'get',
            group: 'argoproj.io',
            resource: 'applications',
            namespace: argoNamespace,
            why: 'see whether Argo CD self-heals a workload (kubernetes.argocdNamespace)',
          };
          return permissionFindings(clusters, cluster, [need], who(cluster));
        },
        onError: kubeconfigFailure,
      });
  }
  return checks;
}
