import type { ReleaseCategory } from './config.ts';

export interface ConventionalTitle {
  type: string;
  scope: string | null;
  breaking: boolean;
  subject: string;
}

const CONVENTIONAL = /^([a-z]+)(?:\(([^)]{1,50})\))?(!)?:\s+(.+)$/i;

/** `feat(api)!: drop v1` → type feat, scope api, breaking, subject "drop v1"; null when not conventional. */
export function parseConventionalTitle(title: string): ConventionalTitle | null {
  const m = CONVENTIONAL.exec(title.trim());
  if (!m) return null;
  return {
    type: (m[1] ?? '').toLowerCase(),
    scope: m[2] ?? null,
    breaking: m[3] === '!',
    subject: m[4] ?? '',
  };
}

/** The category every pull request falls back to. */
export const OTHER: ReleaseCategory = {
  name: 'other',
  title: 'Other changes',
  stakeholderTitle: 'Other improvements',
  labels: [],
  types: [],
};

/**
 * The first category (in configured order) one of whose labels the pull request has; else, from a
 * conventional-commit title, `breaking` for `type!:` and the category listing the type; else other.
 * Labels win because people set them on purpose; titles are often written in a hurry.
 */
export function categorize(
  pr: { title: string; labels: readonly string[] },
  categories: readonly ReleaseCategory[],
): ReleaseCategory {
  const labels = new Set(pr.labels.map((l) => l.toLowerCase()));
  for (const c of categories) if (c.labels.some((l) => labels.has(l.toLowerCase()))) return c;
  const conventional = parseConventionalTitle(pr.title);
  if (conventional) {
    if (conventional.breaking) {
      const breaking = categories.find((c) => c.name === 'breaking');
      if (breaking) return breaking;
    }
    const byType = categories.find((c) => c.types.includes(conventional.type));
    if (byType) return byType;
  }
  return OTHER;
}

export function categoryByName(name: string, categories: readonly ReleaseCategory[]): ReleaseCategory {
  return categories.find((c) => c.name === name) ?? OTHER;
}

/**
 * A title for readers outside engineering: no conventional prefix, no Jira keys or PR numbers,
 * first letter capitalized. `feat(api): [DATA-12] add CSV export (#41)` → "Add CSV export".
 */
export function readableTitle(title: string): string {
  let text = parseConventionalTitle(title)?.subject ?? title.trim();
  text = text
    .replace(/\[[A-Z][A-Z0-9_]+-\d+\]\s*/g, '')
    .replace(/^[A-Z][A-Z0-9_]+-\d+\s*[:\-–]\s*/, '')
    .replace(/\s*\(#\d+\)\s*$/, '')
    .trim();
  return text ? text.charAt(0).toUpperCase() + text.slice(1) : title.trim();
}
