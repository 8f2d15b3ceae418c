import { randomUUID } from 'node:crypto';
import { errorMessage } from '../../core/errors.ts';
import type { SyncStatus } from '../../db/schema.ts';
import type { Entry } from '../../pipeline/defineCommand.ts';
import type { JobRegistration } from '../../pipeline/housekeepingJobs.ts';
import {
  countChanges,
  type PermissionDiff,
  permissionDiffLines,
  permissionHeadline,
} from '../../policies/permissionDiff.ts';
import type { DirectorySourceConfig } from './config.ts';
import type { DirectoryDeps } from './deps.ts';
import { emptyAnswerProblem, guardProblems } from './guards.ts';
import { closeWaiting, holdForApproval, holdTitle } from './holds.ts';
import { syncDigest, syncPermissionDiff } from './permissions.ts';
import { QUEUES } from './queues.ts';
import type { DirectorySnapshot } from './snapshot.ts';
import type { DirectorySource } from './sources/source.ts';
import { type DirectoryDiff, diffIsEmpty } from './stores/directoryStore.ts';
import type { SyncTrigger } from './stores/syncRunStore.ts';
import { syncProblemMessage } from './views.ts';

export interface SyncRequest {
  /** Only this source (by name); all configured sources otherwise. */
  source?: string;
  /** Only sources this accepts (start-up syncs local files only). */
  filter?: (config: DirectorySourceConfig) => boolean;
  trigger: SyncTrigger;
  entry?: Entry;
  requestId?: string;
  requestedBy?: string | null;
  dryRun?: boolean;
  /** Apply despite the mass-removal and empty-answer guards. */
  force?: boolean;
  signal?: AbortSignal;
  /** Told when each source starts, for progress messages. */
  onSource?: (source: string) => Promise<void> | void;
  /**
   * An approved hold: apply only the difference it showed (its digest), and refuse (asking again)
   * when the source now says something else. With it, the guards that held it do not hold again.
   */
  approved?: { holdId: string; digest: string; by: string };
}

export interface SourceSyncResult {
  source: string;
  status: SyncStatus;
  /** The difference (also for refused syncs and dry runs); absent when the fetch failed. */
  diff?: DirectoryDiff;
  /** Why it was (or, in a dry run, would be) refused. */
  problems: string[];
  /** Why it failed. */
  error?: string;
  /** Who gains and who loses which permission (absent when the fetch failed). */
  permissions?: PermissionDiff;
  /** The approval request a refused sync waits on, and whether this run posted it. */
  hold?: { id: string; created: boolean };
  notes: string[];
  fetched?: { users: number; groups: number; memberships: number };
}

class SyncRefused extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('; '));
    this.problems = problems;
  }
}

/** Rejects when the signal fires, even if the source does not listen to it. */
function bounded<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const reason: unknown = signal.reason;
      reject(reason instanceof Error && reason.name === 'TimeoutError' ? new Error('timed out') : reason);
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function summarizeDiff(d: DirectoryDiff): Record<string, number> {
  return {
    usersAdded: d.usersAdded.length,
    usersChanged: d.usersChanged.length,
    usersRemoved: d.usersRemoved.length,
    groupsAdded: d.groupsAdded.length,
    groupsChanged: d.groupsChanged.length,
    groupsRemoved: d.groupsRemoved.length,
    membershipsAdded: d.membershipsAdded.length,
    membershipsRemoved: d.membershipsRemoved.length,
  };
}

function countSnapshot(s: DirectorySnapshot) {
  return {
    users: s.users.length,
    groups: s.groups.length,
    memberships: s.groups.reduce((n, g) => n + g.members.length, 0),
  };
}

/** Groups named by grants (as subject or approver): emptying one silently takes access away. */
async function grantGroups(services: Pick<DirectoryDeps, 'access'>): Promise<Set<string>> {
  const grants = await services.access.allGrants();
  const names = new Set<string>();
  for (const g of grants) {
    if (g.subject.kind === 'group') names.add(g.subject.name);
    if (g.approval) names.add(g.approval.group);
  }
  return names;
}

/**
 * Fetches one source in full, compares it with what is stored and applies the difference in one
 * transaction, unless a guard refuses: a failed, slow, empty or incomplete answer changes nothing;
 * a mass removal or a grant-holding group left empty is refused without `force`. Every outcome is
 * recorded as a sync run; applied, refused and failed syncs are audited, and refusals and failures
 * are posted to the admin channel (once per new problem, not at every tick).
 */
export async function syncSource(
  services: DirectoryDeps,
  source: DirectorySource,
  config: DirectorySourceConfig,
  request: SyncRequest,
): Promise<SourceSyncResult> {
  const startedAt = services.now();
  const log = services.log.child({ source: source.name, trigger: request.trigger });
  const dryRun = request.dryRun ?? false;
  const force = request.force ?? false;
  const signal = AbortSignal.any([
    AbortSignal.timeout(config.timeout),
    ...(request.signal ? [request.signal] : []),
  ]);
  let result: SourceSyncResult;
  try {
    const snapshot = await bounded(source.fetch(signal), signal);
    const fetched = countSnapshot(snapshot);
    const notes = snapshot.notes ?? [];
    const empty = emptyAnswerProblem(snapshot);
    if (empty && !force) {
      result = {
        source: source.name,
        status: 'failed',
        problems: [],
        error: `${empty}; stored memberships were left as they were`,
        notes,
        fetched,
      };
    } else {
      const holders = await grantGroups(services);
      let problems: string[] = [];
      let permissions: PermissionDiff | undefined;
      const approved = request.approved;
      try {
        const diff = await services.directory.sync(source.name, snapshot, {
          dryRun,
          guard: async (d) => {
            // Read before anything is written: the members as they are and as they would be.
            permissions = await syncPermissionDiff(services.access, d);
            problems = guardProblems(d, config, holders);
            // Nothing left to apply (the source mended, or someone forced it meanwhile) is no
            // other change: there is nothing to ask about again.
            if (approved && !diffIsEmpty(d) && syncDigest(d) !== approved.digest)
              throw new SyncRefused([
                'the source changed since this sync was held for approval, so the approved difference no longer applies',
                ...problems,
              ]);
            if (problems.length > 0 && !force && !dryRun && !approved) throw new SyncRefused(problems);
          },
        });
        const status: SyncStatus = dryRun ? 'dry_run' : diffIsEmpty(diff) ? 'unchanged' : 'applied';
        result = {
          source: source.name,
          status,
          diff,
          problems,
          notes,
          fetched,
          ...(permissions ? { permissions } : {}),
        };
      } catch (error) {
        if (!(error instanceof SyncRefused)) throw error;
        const diff = await services.directory.sync(source.name, snapshot, { dryRun: true });
        const shown = permissions ?? (await syncPermissionDiff(services.access, diff));
        result = {
          source: source.name,
          status: 'refused',
          diff,
          problems: error.problems,
          notes,
          fetched,
          permissions: shown,
          hold: await holdSync(services, source.name, diff, shown, error.problems, request),
        };
      }
    }
  } catch (error) {
    log.warn({ err: error }, 'directory sync failed; stored memberships left as they were');
    result = {
      source: source.name,
      status: 'failed',
      problems: [],
      error: `${errorMessage(error)}; stored memberships were left as they were`,
      notes: [],
    };
  }
  await report(services, source, request, result, startedAt, force);
  if (result.status === 'applied' || result.status === 'unchanged')
    await closeWaiting(
      services,
      source.name,
      `no longer needed: a later sync ${result.status === 'applied' ? `applied ${force ? '(forced) ' : ''}the source as it is now` : 'found nothing to change'}`,
    );
  return result;
}

async function report(
  services: DirectoryDeps,
  source: DirectorySource,
  request: SyncRequest,
  result: SourceSyncResult,
  startedAt: Date,
  forced: boolean,
): Promise<void> {
  const counts = {
    ...(result.fetched ?? {}),
    ...(result.diff ? summarizeDiff(result.diff) : {}),
    ...(result.permissions ? permissionCounts(result.permissions) : {}),
  };
  const previous = result.status === 'dry_run' ? undefined : await services.syncRuns.lastReal(source.name);
  const error = result.error ?? (result.problems.length ? result.problems.join('; ') : null);
  await services.syncRuns.record({
    source: source.name,
    trigger: request.trigger,
    requestedBy: request.requestedBy ?? null,
    status: result.status,
    forced,
    startedAt,
    finishedAt: services.now(),
    counts,
    error: result.status === 'applied' || result.status === 'unchanged' ? null : error,
  });
  services.log.info({ source: source.name, status: result.status, ...counts }, 'directory sync');
  if (result.status === 'applied' || result.status === 'refused' || result.status === 'failed') {
    await services.audit.append({
      requestId: request.requestId ?? randomUUID(),
      kind: 'event',
      entry: request.entry ?? 'system',
      email: request.requestedBy ?? null,
      command: 'directory.sync',
      action: 'access.sync',
      resource: `directory:${source.name}`,
      outcome: result.status === 'applied' ? 'ok' : result.status === 'refused' ? 'refused' : 'error',
      ...(result.status === 'refused' ? { reason: result.problems.join('; ') } : {}),
      ...(result.error ? { error: result.error } : {}),
      detail: {
        ...counts,
        trigger: request.trigger,
        forced,
        ...(result.hold ? { holdId: result.hold.id, approvalRequested: result.hold.created } : {}),
        ...(request.approved
          ? { approvedHold: request.approved.holdId, approvedBy: request.approved.by }
          : {}),
        ...(result.notes.length ? { notes: result.notes } : {}),
      },
    });
  }
  // A refusal is held for approval, and its request (posted once per exact difference) is the
  // admin channel's news; a failure is posted once per new problem.
  const repeated = previous?.status === result.status && previous.error === error;
  if (result.status === 'failed' && !repeated) await notifyAdmins(services, source, result);
}

async function notifyAdmins(
  services: DirectoryDeps,
  source: DirectorySource,
  result: SourceSyncResult,
): Promise<void> {
  const channel = services.config.slack.channels.admin;
  if (!channel) {
    services.log.warn(
      { source: source.name, status: result.status },
      'directory sync problem; slack.channels.admin is not set, so nobody was told',
    );
    return;
  }
  const message = syncProblemMessage({ source: source.name, describe: source.describe, error: result.error });
  try {
    await services.notifier.post(channel, message);
  } catch (error) {
    services.log.error(
      { err: error, channel },
      'could not post the directory sync problem to the admin channel',
    );
  }
}

function permissionCounts(p: PermissionDiff): Record<string, number> {
  const c = countChanges(p);
  return {
    permissionsBefore: p.before,
    permissionsGained: c.gains,
    permissionsLost: c.losses,
    peopleGaining: c.peopleGaining,
    peopleLosing: c.peopleLosing,
  };
}

/** A refused sync waits for an admin: held once per exact difference, asked in the admin channel. */
async function holdSync(
  services: DirectoryDeps,
  source: string,
  diff: DirectoryDiff,
  permissions: PermissionDiff,
  problems: string[],
  request: SyncRequest,
): Promise<{ id: string; created: boolean }> {
  const { hold, created } = await holdForApproval(services, {
    target: source,
    title: holdTitle(source),
    digest: syncDigest(diff),
    requestedBy: request.requestedBy ?? null,
    trigger: request.trigger,
    problems,
    headline: permissionHeadline(permissions),
    lines: [...permissionDiffLines(permissions), ...membershipLines(diff)],
    counts: { ...summarizeDiff(diff), ...permissionCounts(permissions) },
  });
  return { id: hold.id, created };
}

function membershipLines(d: DirectoryDiff): string[] {
  return [
    ...d.membershipsRemoved.map(([g, e]) => `- ${e} from ${g}`),
    ...d.membershipsAdded.map(([g, e]) => `+ ${e} in ${g}`),
  ];
}

/** Syncs the configured sources one after another; each has its own transaction and outcome. */
export async function syncDirectorySources(
  services: DirectoryDeps,
  request: SyncRequest,
): Promise<SourceSyncResult[]> {
  const results: SourceSyncResult[] = [];
  for (const config of services.config.directory.sources) {
    if (request.source && config.name !== request.source) continue;
    if (request.filter && !request.filter(config)) continue;
    const source = services.directorySources.get(config.name);
    if (!source) continue;
    await request.onSource?.(config.name);
    results.push(await syncSource(services, source, config, request));
  }
  return results;
}

/**
 * Each source on its own cron, as a pg-boss schedule keyed by the source's name: every replica
 * writes the same schedule, pg-boss sends each tick once, and one replica takes the job.
 * Schedules of sources no longer configured (or turned "off") are removed.
 */
export const directorySyncJobs: JobRegistration<DirectoryDeps> = async (services) => {
  const sources = services.config.directory.sources;
  await services.jobs.work<{ source: string }>(
    QUEUES.sync,
    async (data, job) => {
      const config = sources.find((s) => s.name === data.source);
      const source = services.directorySources.get(data.source);
      if (!config || !source) {
        services.log.warn({ source: data.source }, 'scheduled sync of a source that is no longer configured');
        return;
      }
      await syncSource(services, source, config, { trigger: 'schedule', signal: job.signal });
    },
    {
      retryLimit: 1,
      expireInSeconds: Math.ceil(Math.max(...sources.map((s) => s.timeout), 60_000) / 1000) + 300,
    },
  );
  const wanted = new Set<string>();
  for (const s of sources) {
    if (s.schedule === 'off') continue;
    wanted.add(s.name);
    await services.jobs.schedule(QUEUES.sync, s.schedule, { source: s.name }, { key: s.name });
  }
  for (const key of await services.jobs.scheduled(QUEUES.sync))
    if (!wanted.has(key)) await services.jobs.unschedule(QUEUES.sync, key);
  // A source that has never synced (a new deployment, a newly added source) is synced now rather
  // than at its first tick, which may be a quarter of an hour away; once across replicas.
  for (const s of sources) {
    if (s.schedule === 'off' || (s.type === 'file' && s.path !== undefined)) continue;
    if (await services.syncRuns.lastReal(s.name)) continue;
    await services.jobs.send(QUEUES.sync, { source: s.name }, { singletonKey: `first:${s.name}` });
  }
};

const STATUS_WORDS: Record<SyncStatus, string> = {
  applied: 'applied',
  unchanged: 'no change',
  dry_run: 'would change',
  refused: 'REFUSED, nothing changed',
  failed: 'FAILED, nothing changed',
};

/** One line per source: what happened and the counts. */
export function syncHeadline(r: SourceSyncResult): string {
  const status =
    r.status === 'dry_run' && r.diff && diffIsEmpty(r.diff) ? 'no change' : STATUS_WORDS[r.status];
  const d = r.diff ? summarizeDiff(r.diff) : undefined;
  const counts = d
    ? ` — users +${d.usersAdded} ~${d.usersChanged} -${d.usersRemoved}, groups +${d.groupsAdded} ~${d.groupsChanged} -${d.groupsRemoved}, memberships +${d.membershipsAdded} -${d.membershipsRemoved}`
    : '';
  return `${r.source}: ${status}${counts}`;
}

/** The headline, then why (refusal, failure, notes), then up to `limit` lines of the difference. */
export function syncResultLines(r: SourceSyncResult, limit = Number.POSITIVE_INFINITY): string[] {
  const lines = [syncHeadline(r)];
  if (r.error) lines.push(`  ${r.error}`);
  for (const p of r.problems)
    lines.push(`  ${r.status === 'refused' ? 'refused' : 'would be refused'}: ${p}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (r.hold)
    lines.push(
      `  held for approval (${r.hold.id}): ${r.hold.created ? 'asked in the admin channel' : 'already asked'}; an admin approves with \`access approve ${r.source} ${r.hold.id}\``,
    );
  if (r.permissions) {
    lines.push(`  ${permissionHeadline(r.permissions)}`);
    lines.push(...permissionDiffLines(r.permissions, limit).map((l) => `  ${l}`));
  }
  const d = r.diff;
  if (!d) return lines;
  const detail = [
    ...d.usersAdded.map((u) => `  + user ${u.email}`),
    ...d.usersChanged.map((u) => `  ~ user ${u.email}${u.active ? '' : ' (inactive)'}`),
    ...d.usersRemoved.map((e) => `  - user ${e}`),
    ...d.groupsAdded.map((g) => `  + group ${r.source}:${g.id}`),
    ...d.groupsRemoved.map((g) => `  - group ${g}`),
    ...d.membershipsAdded.map(([g, e]) => `  + ${e} in ${g}`),
    ...d.membershipsRemoved.map(([g, e]) => `  - ${e} from ${g}`),
  ];
  lines.push(...detail.slice(0, limit));
  if (detail.length > limit) lines.push(`  … and ${detail.length - limit} more`);
  return lines;
}
