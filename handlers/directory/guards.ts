import type { DirectorySnapshot } from './snapshot.ts';
import type { DirectoryDiff } from './stores/directoryStore.ts';

export interface GuardSettings {
  /** Refuse when more than this share of the source's stored memberships would go (0.1 = 10 %). */
  maxRemovalShare: number;
  /** Up to this many removals are never refused by the share rule (a small directory's normal churn). */
  removalAllowance: number;
}

/** An answer with nothing in it is a broken source far more often than an empty company. */
export function emptyAnswerProblem(snapshot: DirectorySnapshot): string | undefined {
  if (snapshot.groups.length === 0) return 'the source returned no groups at all';
  if (snapshot.groups.every((g) => g.members.length === 0))
    return `the source returned ${snapshot.groups.length} group(s) but not one member`;
  return undefined;
}

/**
 * Why applying this difference would be dangerous: a mass removal, or a group that holds grants
 * (or approves them) losing every member. Empty when it is safe.
 */
export function guardProblems(
  diff: DirectoryDiff,
  settings: GuardSettings,
  grantGroups: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  const removed = diff.membershipsRemoved.length;
  const before = diff.before.memberships;
  if (removed > settings.removalAllowance && before > 0 && removed / before > settings.maxRemovalShare) {
    problems.push(
      `it would remove ${removed} of ${before} memberships (${formatShare(removed / before)}), more than the ${formatShare(settings.maxRemovalShare)} allowed`,
    );
  }
  const emptied = diff.emptiedGroups.filter((g) => grantGroups.has(g)).sort();
  if (emptied.length > 0) {
    const shown = emptied.slice(0, 10).join(', ');
    problems.push(
      `it would leave ${emptied.length === 1 ? 'a group that holds grants' : `${emptied.length} groups that hold grants`} with no members: ${shown}${emptied.length > 10 ? ', …' : ''}`,
    );
  }
  return problems;
}

function formatShare(share: number): string {
  const pct = share * 100;
  return `${pct < 10 && pct !== Math.round(pct) ? pct.toFixed(1) : Math.round(pct)} %`;
}
