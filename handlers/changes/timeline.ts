import { InputError } from '../../core/errors.ts';
import { parseSince } from '../../core/time.ts';

/** Where a change was read from; the order is the order of equal times in the timeline. */
export type ChangeSource = 'dpbot' | 'argocd' | 'kubernetes' | 'tasks' | 'workflows';

/** A link of an entry: a page (Argo CD, the Argo UI) or dpbot's audit row. */
export type ChangeLink = { url: string; label: string } | { audit: number };

/** One change: when, who, what, and where to look. */
export interface ChangeEntry {
  at: Date;
  source: ChangeSource;
  /** A person by name, "dpbot" for its own work, the Kubernetes manager or Argo CD user otherwise. */
  who: string;
  what: string;
  link?: ChangeLink | undefined;
  /** A worker count this entry set (`team-x/workers` to 8), to know a cluster's echo of dpbot's change. */
  count?: { target: string; to: number } | undefined;
  /** A cluster event no field manager explains: possibly the echo of a change dpbot recorded. */
  unexplained?: boolean | undefined;
}

/** A source that could not be read: said as a line, and the rest still shows. */
export interface SourceFailure {
  /** `Argo CD`, `Kubernetes`, `Argo Workflows`, `the audit log`, `task runs`. */
  system: string;
  error: string;
}

const SOURCE_ORDER: readonly ChangeSource[] = ['dpbot', 'argocd', 'kubernetes', 'tasks', 'workflows'];

/**
 * Every source's entries as one timeline, newest first. Entries at the same time keep a fixed
 * order (dpbot's own record first), so a page boundary never moves between two reads.
 */
export function mergeTimeline(lists: readonly (readonly ChangeEntry[])[]): ChangeEntry[] {
  return lists
    .flat()
    .map((entry, i) => ({ entry, i }))
    .sort(
      (a, b) =>
        b.entry.at.getTime() - a.entry.at.getTime() ||
        SOURCE_ORDER.indexOf(a.entry.source) - SOURCE_ORDER.indexOf(b.entry.source) ||
        a.i - b.i,
    )
    .map(({ entry }) => entry);
}

/** How far apart dpbot's record of a change and the cluster's event of it may be (two clocks). */
const ECHO_WINDOW_MS = 30_000;

/**
 * Leaves out the cluster's events of changes dpbot made itself: an event no field manager
 * explains (the manager's entry was taken over by a later write) that set the count a change of
 * dpbot's set, at about the same time. dpbot's own row says more (who asked, why).
 */
export function withoutEchoes(entries: readonly ChangeEntry[]): ChangeEntry[] {
  const ours = entries.filter((e) => e.source === 'dpbot' && e.count);
  return entries.filter(
    (e) =>
      !e.unexplained ||
      !e.count ||
      !ours.some(
        (o) =>
          o.count?.target === e.count?.target &&
          o.count?.to === e.count?.to &&
          Math.abs(o.at.getTime() - e.at.getTime()) <= ECHO_WINDOW_MS,
      ),
  );
}

/** One page of a timeline; a page past the end shows the last one, and says so. */
export interface TimelinePage {
  entries: ChangeEntry[];
  page: number;
  pages: number;
  total: number;
  /** The asked-for page did not exist. */
  pastEnd: boolean;
  /** Index (from 1) of the page's first entry. */
  first: number;
}

export function pageOf(timeline: readonly ChangeEntry[], page: number, limit: number): TimelinePage {
  const pages = Math.max(1, Math.ceil(timeline.length / limit));
  const shown = Math.min(Math.max(1, page), pages);
  const start = (shown - 1) * limit;
  return {
    entries: timeline.slice(start, start + limit),
    page: shown,
    pages,
    total: timeline.length,
    pastEnd: page > pages,
    first: start + 1,
  };
}

export const DEFAULT_SINCE = '24h';

/**
 * The start of the window: `6h`, `3d` (that long ago), `2026-11-01` or a full ISO time. A time in
 * the future is refused (it would show nothing), as is anything else, saying what to write.
 */
export function sinceOf(text: string | undefined, now: Date, usage: string): Date {
  let at: Date;
  try {
    at = parseSince(text ?? DEFAULT_SINCE, now);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(error.message, usage);
    throw error;
  }
  if (at.getTime() > now.getTime())
    throw new InputError(
      `"${text}" is in the future: give how long ago (6h, 3d) or a past date such as 2026-11-01`,
      usage,
    );
  return at;
}
