import { parseDuration } from '../../core/config/duration.ts';
import { errorMessage, InputError } from '../../core/errors.ts';
import { formatTime, parseSince } from '../../core/time.ts';
import { deployedRevision } from '../../integrations/argocd/assess.ts';
import type { Commit, MergedPullRequest } from '../../integrations/github/githubClient.ts';
import { categorize } from './categorize.ts';
import type { ReleaseServiceConfig } from './config.ts';
import { appHistory, revisionStory } from './deployments.ts';
import type { ReleaseDeps } from './deps.ts';
import { extractJiraKeys } from './jiraKeys.ts';
import { touchesService } from './paths.ts';
import type { ReleasePr, ReleaseService, Rollback } from './stores/releaseStore.ts';

/** Where one service's changes start: the commit its last release shipped, or the --since given. */
export interface StartPoint {
  date: Date;
  revision: string | null;
  /** Pull requests already shipped for it (merged in the same second as the start commit). */
  shipped: Set<number>;
  /** How the start point was chosen, for the reply. */
  origin: string;
}

export interface CollectedService {
  config: ReleaseServiceConfig;
  start: StartPoint;
  head: Commit;
}

export type NewPr = Omit<ReleasePr, 'releaseId' | 'late'> & { late?: boolean };

export interface Collected {
  services: CollectedService[];
  prs: NewPr[];
  /** GitHub requests made, per repository. */
  requests: Map<string, number>;
}

const looksLikeTime = (text: string) =>
  parseDuration(text) !== undefined || /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(text);

/**
 * Each service's start point: the revision its last release shipped — or, when it was rolled back
 * since, the older revision it runs now; for a service never shipped by dpbot, `since` (a date, a
 * duration, or a tag or commit of its repository).
 */
export async function startPoints(
  services: ReleaseDeps,
  since: string | undefined,
): Promise<Map<string, StartPoint>> {
  const out = new Map<string, StartPoint>();
  const missing: string[] = [];
  const refs = new Map<string, Promise<Commit>>();
  for (const svc of services.config.release.services) {
    const last = await services.releases.lastShipped(svc.name);
    if (last) {
      const running = await runningSince(services, svc, last);
      out.set(
        svc.name,
        running ?? {
          date: last.revisionDate,
          revision: last.revision,
          shipped: await services.releases.shippedPrNumbers(svc.name, svc.repository, last.releaseId),
          origin: `since release #${last.releaseId} (${last.revision.slice(0, 7)})`,
        },
      );
      continue;
    }
    if (since === undefined) {
      missing.push(svc.name);
      continue;
    }
    if (looksLikeTime(since)) {
      const date = parseSince(since, services.now());
      out.set(svc.name, { date, revision: null, shipped: new Set(), origin: `since ${formatTime(date)}` });
      continue;
    }
    let commit = refs.get(svc.repository);
    if (!commit) {
      commit = services.github.resolveCommit(svc.repository, since);
      refs.set(svc.repository, commit);
    }
    const c = await commit;
    out.set(svc.name, {
      date: c.committedDate,
      revision: c.oid,
      shipped: new Set(),
      origin: `since ${since} (${c.oid.slice(0, 7)})`,
    });
  }
  if (missing.length)
    throw new InputError(
      `${missing.join(', ')} ${missing.length === 1 ? 'has' : 'have'} never been shipped by dpbot, so there is no previous release to start from: pass --since with a date (2026-11-01), a duration (7d) or a tag or commit (v1.4.0)`,
      'release start [--since <ref|date>]',
    );
  return out;
}

interface Running {
  revision: string;
  applications: string[];
  /** What happened to it, as the application's history says ("shipped by release #1; rolled back by …"). */
  story?: string;
  /** Who put it there, when only dpbot's records know. */
  rollback?: Rollback;
}

/**
 * What each application of a shipped service runs now: Argo CD's newest history entry (with its
 * story from the application's history), or, without Argo CD (or when it does not answer),
 * dpbot's own rollback records since that release.
 */
async function runningNow(
  services: ReleaseDeps,
  svc: ReleaseServiceConfig,
  last: ReleaseService,
): Promise<{ running: Running[]; note?: string }> {
  const found = new Map<string, Running>();
  const add = (revision: string, application: string, extra: Partial<Running> = {}) => {
    const entry = found.get(revision) ?? { revision, applications: [], ...extra };
    entry.applications.push(application);
    found.set(revision, entry);
  };
  let note: string | undefined;
  if (services.argocd) {
    try {
      for (const application of svc.applications) {
        const app = await services.argocd.get(application);
        const history = await appHistory(services, application, app);
        const revision = history.running?.revision ?? deployedRevision(app);
        if (revision) add(revision, application, { story: revisionStory(history, revision) });
      }
      return { running: [...found.values()] };
    } catch (error) {
      found.clear();
      note = `Argo CD did not say what runs (${errorMessage(error)}); dpbot's rollback records stand in`;
    }
  }
  // A rollback recorded since the release (against it, or outside any release after it started).
  const rollbacks = await services.releases.doneRollbacks(svc.applications);
  const release = await services.releases.get(last.releaseId);
  const shippedFrom = release?.shipStartedAt ?? release?.createdAt ?? new Date(0);
  for (const application of svc.applications) {
    const newest = rollbacks.find((r) => r.application === application);
    if (newest?.revision && (newest.releaseId === last.releaseId || newest.createdAt > shippedFrom))
      add(newest.revision, application, { rollback: newest });
  }
  return { running: [...found.values()], ...(note ? { note } : {}) };
}

/**
 * The start point of a shipped service: the revision its applications run, as Argo CD's history
 * says — the oldest commit one of them runs, so that the changes of a release rolled back are
 * part of the next release again, and a build deployed again (by a rollback, or in Argo CD
 * directly) is not. Undefined when nothing says otherwise than the release's record (what runs
 * is what it shipped, by its own deployment, or is not a commit of the repository).
 */
async function runningSince(
  services: ReleaseDeps,
  svc: ReleaseServiceConfig,
  last: ReleaseService,
): Promise<StartPoint | undefined> {
  const { running, note } = await runningNow(services, svc, last);
  let oldest: { commit: Commit; running: Running } | undefined;
  for (const r of running) {
    let commit: Commit;
    try {
      commit =
        r.revision === last.revision
          ? { oid: last.revision, committedDate: last.revisionDate }
          : await services.github.resolveCommit(svc.repository, r.revision);
    } catch (error) {
      if (error instanceof InputError) continue;
      throw error;
    }
    if (!oldest || commit.committedDate < oldest.commit.committedDate) oldest = { commit, running: r };
  }
  if (!oldest) return undefined;
  const { commit, running: r } = oldest;
  const runs = `${r.applications.join(', ')} ${r.applications.length === 1 ? 'runs' : 'run'}`;
  if (commit.oid === last.revision) {
    // What the release shipped runs: said plainly, unless it got there again after a rollback.
    if (!r.story || !/rolled back/.test(r.story)) return undefined;
    return {
      date: last.revisionDate,
      revision: last.revision,
      shipped: await services.releases.shippedPrNumbers(svc.name, svc.repository, last.releaseId),
      origin: `since release #${last.releaseId} (${last.revision.slice(0, 7)}), which ${runs} (${r.story})`,
    };
  }
  const who = r.story
    ? r.story
    : r.rollback
      ? `rolled back to by ${r.rollback.requestedBy} at ${formatTime(r.rollback.createdAt)}`
      : 'as Argo CD reports';
  return {
    date: commit.committedDate,
    revision: commit.oid,
    // The pull requests shipped by a release that no longer runs ship again.
    shipped: new Set(),
    origin: `since ${commit.oid.slice(0, 7)}, which ${runs} (${who}; release #${last.releaseId} shipped ${last.revision.slice(0, 7)})${note ? ` — ${note}` : ''}`,
  };
}

/**
 * The pull requests merged into each service's repository since its start point, read once per
 * repository (repositories in parallel; the client bounds how many at once), mapped to services
 * by repository and changed paths, categorized, with their Jira keys.
 */
export async function collect(services: ReleaseDeps, points: Map<string, StartPoint>): Promise<Collected> {
  const config = services.config.release;
  const byRepo = new Map<string, ReleaseServiceConfig[]>();
  for (const svc of config.services) {
    const key = `${svc.repository}@${svc.branch}`;
    byRepo.set(key, [...(byRepo.get(key) ?? []), svc]);
  }
  const requests = new Map<string, number>();
  const collected: CollectedService[] = [];
  const prs: NewPr[] = [];
  const excluded = new Set(config.excludeLabels.map((l) => l.toLowerCase()));
  // One failed repository fails the collection: the others stop rather than keep reading (and
  // waiting out rate limits) for an answer nobody will use.
  const stop = new AbortController();
  await Promise.all(
    [...byRepo.values()].map(async (group) => {
      const first = group[0] as ReleaseServiceConfig;
      const since = new Date(
        Math.min(...group.map((s) => (points.get(s.name) as StartPoint).date.getTime())),
      );
      const result = await services.github
        .mergedPullRequests({
          repository: first.repository,
          branch: first.branch,
          since,
          needAllFiles: group.some((s) => s.paths.length > 0),
          signal: stop.signal,
        })
        .catch((error: unknown) => {
          stop.abort();
          throw error;
        });
      requests.set(first.repository, (requests.get(first.repository) ?? 0) + result.requests);
      for (const svc of group)
        collected.push({ config: svc, start: points.get(svc.name) as StartPoint, head: result.head });
      for (const pr of result.pullRequests) {
        const owners = group
          .filter((svc) => belongs(pr, svc, points.get(svc.name) as StartPoint))
          .map((s) => s.name);
        if (owners.length === 0) continue;
        const skip = pr.labels.some((l) => excluded.has(l.toLowerCase()));
        prs.push({
          repository: first.repository,
          number: pr.number,
          title: pr.title,
          url: pr.url,
          author: pr.author,
          branch: pr.branch,
          body: pr.body.slice(0, 4000),
          mergedAt: pr.mergedAt,
          mergeCommit: pr.mergeCommit,
          labels: pr.labels,
          category: skip ? 'excluded' : categorize(pr, config.categories).name,
          jiraKeys: extractJiraKeys(pr, config.jiraProjects),
          services: owners,
        });
      }
    }),
  );
  collected.sort((a, b) => a.config.name.localeCompare(b.config.name));
  return { services: collected, prs, requests };
}

function belongs(pr: MergedPullRequest, svc: ReleaseServiceConfig, start: StartPoint): boolean {
  if (pr.mergedAt.getTime() < start.date.getTime()) return false;
  if (start.revision && pr.mergeCommit === start.revision) return false;
  if (start.shipped.has(pr.number)) return false;
  return touchesService(pr.files, svc.paths);
}

/** Start points of a refresh: each service's revision at start, excluding what the release has. */
export function refreshPoints(
  rows: readonly ReleaseService[],
  prs: readonly ReleasePr[],
): Map<string, StartPoint> {
  const out = new Map<string, StartPoint>();
  for (const row of rows) {
    const have = new Set(prs.filter((p) => p.repository === row.repository).map((p) => p.number));
    out.set(row.service, {
      date: row.revisionDate,
      revision: row.revision,
      shipped: have,
      origin: `since ${row.revision.slice(0, 7)}`,
    });
  }
  return out;
}
