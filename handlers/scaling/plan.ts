import { ConflictError, DpbotError, errorMessage, InputError, UpstreamError } from '../../core/errors.ts';
import {
  type Change,
  describeRef,
  type HpaState,
  rbacResource,
  replicasPointer,
  type WorkloadRef,
  type WorkloadState,
  workloadRef,
} from '../../integrations/kubernetes/kubernetes.ts';
import type { TargetConfig, TeamConfig } from './config.ts';
import type { ScalingDeps } from './deps.ts';
import { label, requireKubernetes, SCALE_USAGE } from './teams.ts';

export type ScaleMode = 'replicas' | 'hpaMinReplicas';

/** Argo CD's default tracking label, and the annotation of annotation-based tracking. */
export const ARGO_TRACKING_LABEL = 'app.kubernetes.io/instance';
export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';

/** What a change would do, checked against the team's bounds and the traps, before anything is written. */
export interface ScalePlan {
  team: TeamConfig;
  target: TargetConfig;
  ref: WorkloadRef;
  mode: ScaleMode;
  from: number;
  to: number;
  state: WorkloadState;
  hpa: HpaState | null;
  /** Said in the confirmation and in the announcement. */
  warnings: string[];
  /** Why the caller must confirm first, each a clause that reads after "because"; empty: no question. */
  confirmReasons: string[];
}

export interface PlanOptions {
  mode: ScaleMode;
  /** Restoring an earlier count (a revert): the team's bounds and the HPA trap do not apply. */
  restoring: boolean;
}

interface ArgoFinding {
  app: string;
  /** Whether dpbot read the Application object. */
  verified: boolean;
  selfHeal: boolean;
  ignores: boolean;
  note?: string;
}

/** The Argo CD application tracking an object, from its tracking annotation or label. */
export function argoAppOf(
  labels: Record<string, string>,
  annotations: Record<string, string>,
): string | null {
  const tracking = annotations[ARGO_TRACKING_ANNOTATION];
  if (tracking) return tracking.split(':')[0] ?? null;
  return labels[ARGO_TRACKING_LABEL] ?? null;
}

async function argoFinding(
  services: ScalingDeps,
  ref: WorkloadRef,
  object: { labels: Record<string, string>; annotations: Record<string, string> },
  target: { group: string; kind: string; pointer: string },
): Promise<ArgoFinding | null> {
  const app = argoAppOf(object.labels, object.annotations);
  if (!app) return null;
  const namespace = services.config.kubernetes.argocdNamespace;
  if (!namespace) return { app, verified: false, selfHeal: true, ignores: false };
  try {
    const found = await requireKubernetes(services).argoApplication(ref.cluster, namespace, app, target);
    // A tracking label without an Application is Helm's `instance` label, not Argo CD's.
    if (!found) return null;
    return { app, verified: true, selfHeal: found.selfHeal, ignores: found.ignores };
  } catch (error) {
    if (!(error instanceof DpbotError)) throw error;
    return { app, verified: false, selfHeal: true, ignores: false, note: errorMessage(error) };
  }
}

function ratio(from: number, to: number): number {
  return Math.max(from, to) / Math.max(1, Math.min(from, to));
}

/**
 * Reads the target and decides whether the change may go ahead: the team's bounds, its approval
 * threshold, an HPA that would undo it, an Argo CD application that would revert it; and whether
 * the caller must confirm (to 0, above `confirmAbove`, a change of more than 2×). Throws the
 * error the caller should read when the change must not happen.
 */
export async function planScale(
  services: ScalingDeps,
  team: TeamConfig,
  target: TargetConfig,
  to: number,
  options: PlanOptions,
): Promise<ScalePlan> {
  const k8s = requireKubernetes(services);
  const settings = services.config.kubernetes;
  const name = label(team, target);
  if (!options.restoring) {
    if (to < team.minReplicas || to > team.maxReplicas)
      throw new InputError(
        `${team.name} may have ${team.minReplicas} to ${team.maxReplicas} workers; ${to} is ${to < team.minReplicas ? 'below the minimum' : 'above the maximum'}. The bounds are set in the configuration (teams: ${team.name})`,
        SCALE_USAGE,
      );
  }
  const ref = workloadRef(target);
  const state = await k8s.read(ref);
  const hpa = await k8s.hpaFor(ref);
  const warnings: string[] = [];
  const confirmReasons: string[] = [];
  let from = state.replicas;
  const [resource, group] = rbacResource(ref);
  const kind = ref.kind === 'Custom' ? (ref.resourceKind ?? resource) : ref.kind;
  let argo: ArgoFinding | null;

  if (options.mode === 'hpaMinReplicas') {
    if (!hpa)
      throw new InputError(
        `no HorizontalPodAutoscaler manages ${name} (${describeRef(ref)}); scale it directly: scale ${team.name} ${to}${team.targets.length > 1 ? ` --target ${target.name}` : ''}`,
        SCALE_USAGE,
      );
    if (to > hpa.maxReplicas)
      throw new InputError(
        `the HPA "${hpa.name}" allows at most ${hpa.maxReplicas} replicas, so its minimum cannot be ${to}; ask for at most ${hpa.maxReplicas}, or raise its maxReplicas in its manifest`,
        SCALE_USAGE,
      );
    from = hpa.minReplicas;
    argo = await argoFinding(services, ref, hpa, {
      group: 'autoscaling',
      kind: 'HorizontalPodAutoscaler',
      pointer: '/spec/minReplicas',
    });
  } else {
    if (hpa && !options.restoring) {
      if (to === 0)
        warnings.push(
          `The HPA "${hpa.name}" stays idle while ${name} is at 0, and takes over again when it is scaled up.`,
        );
      else {
        const offer =
          settings.offerHpaMinReplicas && to <= hpa.maxReplicas
            ? ` To keep at least ${to} running, raise the HPA's minimum instead: scale ${team.name} ${to}${team.targets.length > 1 ? ` --target ${target.name}` : ''} --hpa-min`
            : ' Change the HPA (its minReplicas and maxReplicas) in its manifest instead.';
        throw new ConflictError(
          `${name} is managed by the HorizontalPodAutoscaler "${hpa.name}" (min ${hpa.minReplicas}, max ${hpa.maxReplicas}, now ${hpa.currentReplicas ?? state.replicas}), which would undo a direct change within about 15 seconds; nothing was changed.${offer}`,
        );
      }
    }
    argo = await argoFinding(services, ref, state, { group, kind, pointer: replicasPointer(ref) });
  }

  if (argo && !options.restoring) {
    const field = options.mode === 'hpaMinReplicas' ? '/spec/minReplicas of the HPA' : replicasPointer(ref);
    if (argo.verified && !argo.selfHeal)
      warnings.push(
        `The Argo CD application "${argo.app}" does not self-heal, but its next sync will set the count back to what Git says.`,
      );
    else if (!argo.verified || !argo.ignores) {
      const why = argo.verified
        ? `self-heals and does not ignore ${field}, so it would revert this change within seconds`
        : `may self-heal and revert this change within seconds: dpbot could not read the application${argo.note ? ` (${argo.note})` : settings.argocdNamespace ? '' : ' (set kubernetes.argocdNamespace to let it check)'}`;
      const fix = `Change the count in Git, or have the application ignore ${field} (ignoreDifferences) with the sync option RespectIgnoreDifferences=true.`;
      if (settings.argoSelfHeal === 'refuse')
        throw new ConflictError(
          `${name} is managed by the Argo CD application "${argo.app}", which ${why}; nothing was changed. ${fix}`,
        );
      const warning = `${name} is managed by the Argo CD application "${argo.app}", which ${why}. ${fix}`;
      warnings.push(warning);
      confirmReasons.push('Argo CD may revert it');
    }
  }

  if (to === 0 && from > 0) confirmReasons.push(`it scales ${name} to 0: every worker stops`);
  if (team.confirmAbove !== undefined && to > team.confirmAbove && to > from)
    confirmReasons.push(
      `${to} is more than ${team.confirmAbove} workers, the level at which ${team.name} asks for a confirmation`,
    );
  if (to !== 0 && ratio(from, to) > 2)
    confirmReasons.push(
      `it ${to > from ? 'more than doubles' : 'cuts to less than half'} the count (${from} → ${to})`,
    );

  return { team, target, ref, mode: options.mode, from, to, state, hpa, warnings, confirmReasons };
}

export interface AppliedChange extends Change {
  /** The write got no answer, but reading the count back showed it had landed. */
  answeredLate?: boolean;
}

/**
 * Writes the plan: the replicas (scale subresource or field), or the HPA's minimum. A write that
 * gets no answer may still have landed; the count is read back before the change is called
 * failed, so the on-call is not told to check what dpbot can check itself.
 */
export async function applyPlan(services: ScalingDeps, plan: ScalePlan): Promise<AppliedChange> {
  const k8s = requireKubernetes(services);
  const hpa = plan.mode === 'hpaMinReplicas' ? plan.hpa : null;
  try {
    if (hpa) return await k8s.setHpaMinReplicas(plan.ref, hpa.name, plan.to);
    return await k8s.setReplicas(plan.ref, plan.to);
  } catch (error) {
    // A status means the cluster answered (and refused); only a missing answer leaves doubt.
    if (!(error instanceof UpstreamError) || error.status !== undefined) throw error;
    let now: number | undefined;
    try {
      now = hpa ? (await k8s.hpaFor(plan.ref))?.minReplicas : (await k8s.read(plan.ref)).replicas;
    } catch {
      throw error;
    }
    if (now !== plan.to) throw error;
    return { from: plan.from, to: plan.to, conflicts: 0, answeredLate: true };
  }
}
