import { createHash } from 'node:crypto';

/** The part of a grant that says who may do what (limits and approvals do not change who may). */
export interface GrantShape {
  subject: { kind: 'group'; name: string } | { kind: 'user'; email: string };
  actions: readonly string[];
  resources: readonly string[];
}

/** Grants, and the active members of (at least) every group they name. */
export interface AccessState {
  grants: readonly GrantShape[];
  members: ReadonlyMap<string, readonly string[]>;
}

export interface PermissionChange {
  change: 'gain' | 'loss';
  /** A person's e-mail, or a group's name for a group-level line. */
  who: string;
  action: string;
  resource: string;
  /** How the person held (or will hold) it: the groups, and "direct" for a grant to them. */
  via: string[];
}

export interface PermissionDiff {
  /** Effective changes per person: a loss through one group that another still grants is no loss. */
  people: PermissionChange[];
  /** What each group's grants gain or lose, whoever its members are. */
  groups: PermissionChange[];
  /** Person-level permissions (person × action × resource) before and after. */
  before: number;
  after: number;
}

const key = (action: string, resource: string) => `${action}\u0000${resource}`;
const DIRECT = 'direct';

/** Person → permission key → the subjects it comes through. */
function effective(state: AccessState): Map<string, Map<string, Set<string>>> {
  const out = new Map<string, Map<string, Set<string>>>();
  const add = (email: string, via: string, g: GrantShape) => {
    let perms = out.get(email);
    if (!perms) {
      perms = new Map();
      out.set(email, perms);
    }
    for (const action of g.actions)
      for (const resource of g.resources) {
        const k = key(action, resource);
        const vias = perms.get(k) ?? new Set<string>();
        vias.add(via);
        perms.set(k, vias);
      }
  };
  for (const g of state.grants) {
    if (g.subject.kind === 'user') add(g.subject.email.toLowerCase(), DIRECT, g);
    else for (const m of state.members.get(g.subject.name) ?? []) add(m.toLowerCase(), g.subject.name, g);
  }
  return out;
}

function groupLevel(grants: readonly GrantShape[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const g of grants) {
    if (g.subject.kind !== 'group') continue;
    const set = out.get(g.subject.name) ?? new Set<string>();
    for (const action of g.actions) for (const resource of g.resources) set.add(key(action, resource));
    out.set(g.subject.name, set);
  }
  return out;
}

function change(kind: 'gain' | 'loss', who: string, k: string, via: Iterable<string>): PermissionChange {
  const [action = '', resource = ''] = k.split('\u0000');
  return { change: kind, who, action, resource, via: [...via].sort() };
}

const order = (a: PermissionChange, b: PermissionChange) =>
  a.who.localeCompare(b.who) ||
  (a.change === b.change ? 0 : a.change === 'loss' ? -1 : 1) ||
  a.action.localeCompare(b.action) ||
  a.resource.localeCompare(b.resource);

/**
 * Who gains and who loses which action on which resource between two states: a grant to a group
 * counts for each of its members. Actions and resources are compared as the patterns the grants
 * name (`workers.*` on `team:*`), not expanded.
 */
export function permissionDiff(before: AccessState, after: AccessState): PermissionDiff {
  const was = effective(before);
  const will = effective(after);
  const people: PermissionChange[] = [];
  let beforeCount = 0;
  let afterCount = 0;
  for (const [email, perms] of was) {
    beforeCount += perms.size;
    const next = will.get(email);
    for (const [k, via] of perms) if (!next?.has(k)) people.push(change('loss', email, k, via));
  }
  for (const [email, perms] of will) {
    afterCount += perms.size;
    const prev = was.get(email);
    for (const [k, via] of perms) if (!prev?.has(k)) people.push(change('gain', email, k, via));
  }
  const groups: PermissionChange[] = [];
  const gWas = groupLevel(before.grants);
  const gWill = groupLevel(after.grants);
  for (const [name, perms] of gWas)
    for (const k of perms) if (!gWill.get(name)?.has(k)) groups.push(change('loss', name, k, [name]));
  for (const [name, perms] of gWill)
    for (const k of perms) if (!gWas.get(name)?.has(k)) groups.push(change('gain', name, k, [name]));
  return { people: people.sort(order), groups: groups.sort(order), before: beforeCount, after: afterCount };
}

export function permissionDiffIsEmpty(d: PermissionDiff): boolean {
  return d.people.length === 0 && d.groups.length === 0;
}

export function countChanges(d: PermissionDiff): {
  peopleGaining: number;
  peopleLosing: number;
  gains: number;
  losses: number;
} {
  const gains = d.people.filter((c) => c.change === 'gain');
  const losses = d.people.filter((c) => c.change === 'loss');
  return {
    peopleGaining: new Set(gains.map((c) => c.who)).size,
    peopleLosing: new Set(losses.map((c) => c.who)).size,
    gains: gains.length,
    losses: losses.length,
  };
}

/** The headline: "2 people gain 3 permissions, 1 loses 2 (of 40)". */
export function permissionHeadline(d: PermissionDiff): string {
  if (permissionDiffIsEmpty(d)) return 'permissions: no change';
  const c = countChanges(d);
  const groupPart = d.groups.length ? `; ${d.groups.length} group-level change(s)` : '';
  return `permissions: ${c.peopleGaining} ${c.peopleGaining === 1 ? 'person gains' : 'people gain'} ${c.gains}, ${c.peopleLosing} ${c.peopleLosing === 1 ? 'person loses' : 'people lose'} ${c.losses} (of ${d.before})${groupPart}`;
}

function line(c: PermissionChange, group: boolean): string {
  const sign = c.change === 'gain' ? '+' : '-';
  const verb = c.change === 'gain' ? 'gains' : 'loses';
  const via = group ? '' : ` (via ${c.via.join(', ')})`;
  return `${sign} ${group ? 'group ' : ''}${c.who} ${verb} ${c.action} on ${c.resource}${via}`;
}

/** One line per change, people first, then groups; at most `limit`, then how many more. */
export function permissionDiffLines(d: PermissionDiff, limit = Number.POSITIVE_INFINITY): string[] {
  const all = [...d.people.map((c) => line(c, false)), ...d.groups.map((c) => line(c, true))];
  const shown = all.slice(0, limit);
  if (all.length > limit) shown.push(`… and ${all.length - limit} more`);
  return shown;
}

/** Names one exact change, so an approval applies what was shown and nothing else. */
export function digestOf(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const p of [...parts].sort()) hash.update(p).update('\n');
  return hash.digest('hex').slice(0, 32);
}

export interface RemovalGuard {
  /** Hold a change that takes away more than this share of the person-level permissions (0.2 = 20 %). */
  maxRemovalShare: number;
  /** Up to this many losses are never held (a small directory's or policy's normal churn). */
  removalAllowance: number;
}

/** Why a change takes away too much to apply unasked; undefined when it may apply. */
export function removalProblem(d: PermissionDiff, guard: RemovalGuard): string | undefined {
  const { losses } = countChanges(d);
  if (losses <= guard.removalAllowance || d.before === 0 || losses / d.before <= guard.maxRemovalShare)
    return undefined;
  const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;
  return `it would take away ${losses} of ${d.before} permissions (${pct(losses / d.before)}), more than the ${pct(guard.maxRemovalShare)} allowed`;
}

/** A grant as it is stored or as a policy file states it: everything that makes it what it is. */
interface FullGrant extends GrantShape {
  limits: Readonly<Record<string, number>>;
  approval: { group: string; count: number } | null;
  origin: string;
}

function grantText(g: FullGrant, withOrigin = true): string {
  return JSON.stringify([
    g.subject.kind === 'group' ? `g:${g.subject.name}` : `u:${g.subject.email}`,
    g.actions,
    g.resources,
    Object.entries(g.limits).sort(([a], [b]) => a.localeCompare(b)),
    g.approval,
    withOrigin ? g.origin : '',
  ]);
}

/** Names one policy change (these running grants replaced by those), for approving exactly it. */
export function policyDigest(running: readonly FullGrant[], wanted: readonly FullGrant[]): string {
  return digestOf([
    ...running.map((g) => `running ${grantText(g)}`),
    ...wanted.map((g) => `wanted ${grantText(g)}`),
  ]);
}

/**
 * Whether the policy files say anything else than the running grants: limits and approvals
 * count, and where a grant is written (its file and place) unless `withOrigin` is false.
 */
export function policiesDiffer(
  running: readonly FullGrant[],
  wanted: readonly FullGrant[],
  withOrigin = true,
): boolean {
  const a = running.map((g) => grantText(g, withOrigin)).sort();
  const b = wanted.map((g) => grantText(g, withOrigin)).sort();
  return a.length !== b.length || a.some((t, i) => t !== b[i]);
}

/** Groups named as grant subjects, whose members a permission diff needs. */
export function grantGroupsOf(...grantSets: readonly (readonly GrantShape[])[]): string[] {
  const names = new Set<string>();
  for (const grants of grantSets)
    for (const g of grants) if (g.subject.kind === 'group') names.add(g.subject.name);
  return [...names].sort();
}
