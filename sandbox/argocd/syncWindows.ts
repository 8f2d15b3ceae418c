import { Cron } from 'croner';

/**
 * Argo CD's sync windows, as an AppProject's `spec.syncWindows` holds them and as Argo CD judges
 * them. Sources: the user guide, docs/user-guide/sync_windows.md ("If there are no windows
 * matching an application then all syncs are allowed. If there are any allow windows matching an
 * application then syncs will only be allowed when there is an active allow window. If there are
 * any deny windows matching an application then all syncs will be denied when the deny windows
 * are active … deny windows override allow windows"; manualSync lets manual syncs through a
 * window that would block them), and pkg/apis/application/v1alpha1/types.go (SyncWindows.Matches,
 * SyncWindow.active, SyncWindows.CanSync) with server/application/application.go
 * (GetApplicationSyncWindows answers CanSync(isManual = true)).
 */
export interface SimSyncWindow {
  kind: 'allow' | 'deny';
  /** Five-field cron of when the window opens, read in `timeZone` (UTC by default). */
  schedule: string;
  /** How long it stays open, as Go's time.ParseDuration reads it (`1h`, `30m`, `1h30m`). */
  duration: string;
  applications?: string[];
  namespaces?: string[];
  clusters?: string[];
  manualSync?: boolean;
  timeZone?: string;
  /** All the lists given must match (UseAndOperator); by default any one does. */
  andOperator?: boolean;
}

/** What a window is matched against: the application's name and destination. */
export interface WindowTarget {
  name: string;
  namespace: string;
  server: string;
  cluster?: string;
}

const GO_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go's time.ParseDuration, in milliseconds; undefined for what Go would refuse. */
export function goDuration(text: string): number | undefined {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    total += Number(m[1]) * (GO_UNITS[m[2] ?? ''] ?? 0);
  return total;
}

/** Argo CD's util/glob: `*` any run of characters, `?` one, everything else itself. */
function globMatch(patterns: readonly string[], value: string | undefined): boolean {
  if (value === undefined) return false;
  return patterns.some((p) =>
    new RegExp(
      `^${p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    ).test(value),
  );
}

/** SyncWindows.Matches: a window with no list matches nothing unless the AND operator is on. */
export function matchingWindows(windows: readonly SimSyncWindow[], app: WindowTarget): SimSyncWindow[] {
  return windows.filter((w) => {
    const apps = w.applications ?? [];
    const clusters = w.clusters ?? [];
    const namespaces = w.namespaces ?? [];
    const clusterOk = globMatch(clusters, app.server) || globMatch(clusters, app.cluster);
    if (w.andOperator)
      return (
        (apps.length === 0 || globMatch(apps, app.name)) &&
        (clusters.length === 0 || clusterOk) &&
        (namespaces.length === 0 || globMatch(namespaces, app.namespace))
      );
    return (
      (apps.length > 0 && globMatch(apps, app.name)) ||
      (clusters.length > 0 && clusterOk) ||
      (namespaces.length > 0 && globMatch(namespaces, app.namespace))
    );
  });
}

/**
 * SyncWindow.active: open when the schedule's next start after (now − duration) is before now,
 * i.e. it started within the last `duration`.
 */
export function windowActive(w: SimSyncWindow, now: Date): boolean {
  const duration = goDuration(w.duration);
  if (duration === undefined) throw new Error(`sync window duration ${w.duration} is not a Go duration`);
  const next = new Cron(w.schedule, { timezone: w.timeZone || 'UTC', paused: true }).nextRun(
    new Date(now.getTime() - duration),
  );
  return next !== null && next.getTime() < now.getTime();
}

/**
 * SyncWindows.CanSync: an active deny window blocks (a manual sync passes only when every active
 * deny window has manualSync); else an active allow window lets it through; else, when allow
 * windows are assigned but none is active, it is blocked unless one of them has manualSync.
 */
export function canSync(assigned: readonly SimSyncWindow[], now: Date, manual: boolean): boolean {
  if (assigned.length === 0) return true;
  const active = assigned.filter((w) => windowActive(w, now));
  const denies = active.filter((w) => w.kind === 'deny');
  if (denies.length > 0) return manual && denies.every((w) => w.manualSync === true);
  if (active.some((w) => w.kind === 'allow')) return true;
  const inactiveAllows = assigned.filter((w) => w.kind === 'allow' && !active.includes(w));
  if (inactiveAllows.length > 0) return manual && inactiveAllows.some((w) => w.manualSync === true);
  return true;
}

/** ApplicationSyncWindow as the API answers it: kind, schedule, duration and manualSync only. */
export const asApiWindow = (w: SimSyncWindow) => ({
  kind: w.kind,
  schedule: w.schedule,
  duration: w.duration,
  manualSync: w.manualSync ?? false,
});
