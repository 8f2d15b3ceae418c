import type { Approval, Grant } from '../db/stores/accessStore.ts';
import { matchesAction, matchesResource } from './patterns.ts';

// The grant's shape is the stored one (db/); this module decides with it.
export type { Approval, Grant };

export interface GrantRef {
  id: number;
  subject: string;
  origin: string;
}

export interface Request {
  action: string;
  resource: string;
  /** What the request asks for, keyed by the limit that bounds it (`{ maxReplicas: 30 }`). */
  limits?: Record<string, number>;
}

export type Decision =
  | { allowed: true; reason: string; grant: GrantRef; approval: Approval | null }
  | { allowed: false; reason: string; grant: GrantRef | null };

export function grantRef(grant: Grant): GrantRef {
  const subject =
    grant.subject.kind === 'group' ? `group ${grant.subject.name}` : `user ${grant.subject.email}`;
  return { id: grant.id, subject, origin: grant.origin };
}

function violations(grant: Grant, asked: Record<string, number>): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(asked)) {
    const limit = grant.limits[name];
    if (limit !== undefined && value > limit) out.push(`${name} is ${limit} and this asks for ${value}`);
  }
  return out;
}

/**
 * Deny by default. Among the grants that cover the action and the resource, one that respects
 * every limit allows; a grant that needs no approval is preferred over one that does. When every
 * covering grant is exceeded by the request, the denial names the limit.
 */
export function decide(grants: readonly Grant[], request: Request): Decision {
  const covering = grants.filter(
    (g) =>
      g.actions.some((a) => matchesAction(a, request.action)) &&
      g.resources.some((r) => matchesResource(r, request.resource)),
  );
  if (covering.length === 0) {
    return { allowed: false, reason: `no grant gives ${request.action} on ${request.resource}`, grant: null };
  }
  const asked = request.limits ?? {};
  const within = covering.filter((g) => violations(g, asked).length === 0);
  const best = within.find((g) => g.approval === null) ?? within[0];
  if (best) {
    const ref = grantRef(best);
    return {
      allowed: true,
      reason: `${ref.subject} may ${request.action} on ${request.resource} (${ref.origin})`,
      grant: ref,
      approval: best.approval,
    };
  }
  const first = covering[0] as Grant;
  const ref = grantRef(first);
  return {
    allowed: false,
    reason: `limit exceeded: ${violations(first, asked).join('; ')} (${ref.subject}, ${ref.origin})`,
    grant: ref,
  };
}

/** Whether any grant could allow the action on some resource (used to filter help and buttons). */
export function mayEver(grants: readonly Grant[], action: string): boolean {
  return grants.some((g) => g.actions.some((a) => matchesAction(a, action)));
}
