import { errorMessage } from '../../core/errors.ts';
import { clipText } from '../../core/text.ts';
import { CRON_LABEL } from '../../integrations/argo/argoClient.ts';
import type { Application } from '../../integrations/argocd/argoCdClient.ts';
import { deploymentHistory } from '../../integrations/argocd/assess.ts';
import type { ScalingEvent } from '../../integrations/kubernetes/kubernetes.ts';
import { workloadRef } from '../../integrations/kubernetes/workloadRef.ts';
import { actorOfRow, personName } from '../../pipeline/people.ts';
import type { ChangesDeps, ChangesService, ChangesTeam } from './deps.ts';
import type { ChangeEntry, SourceFailure } from './timeline.ts';

/** What one source gave: its entries, or why it could not be read. */
export type SourceResult = { entries: ChangeEntry[] } | { failure: SourceFailure };

/** Rows, runs and workflows read per source: a day of an on-call's changes is far less. */
export const SOURCE_LIMIT = 500;

/** Argo CD's tracking label on what an application deployed (its instance label, the default tracking method). */
const TRACKING_LABEL = 'app.kubernetes.io/instance';
/** The annotation tracking method: `<app>:<group>/<kind>:<namespace>/<name>`. */
const TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** dpbot's field manager on the workloads it scales (integrations/kubernetes/kubeClusters.ts). */
const DPBOT_MANAGER = 'dpbot';
/** A controller's event follows the write that caused it within a moment; both times are whole seconds. */
const EVENT_MATCH_MS = 5_000;

async function read(system: string, work: () => Promise<ChangeEntry[]>): Promise<SourceResult> {
  try {
    return { entries: await work() };
  } catch (error) {
    // The clients' errors name their system first ("Argo CD: …"); the line names it already.
    const message = errorMessage(error).replace(new RegExp(`^${system}: `, 'i'), '');
    return { failure: { system, error: clipText(message, 300) } };
  }
}

const after = (at: Date | undefined, since: Date): at is Date =>
  at !== undefined && !Number.isNaN(at.getTime()) && at.getTime() >= since.getTime();

const time = (text: string | null | undefined) => (text ? new Date(text) : undefined);

const short = (sha: string) => (/^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 7) : sha);

/** A row's detail read defensively: rows of every version of dpbot are in the log. */
function detailOf(detail: unknown): Record<string, unknown> {
  return typeof detail === 'object' && detail !== null ? (detail as Record<string, unknown>) : {};
}

/**
 * dpbot's own record: the changes its requests made (their steps, such as a scale), their
 * outcomes when they failed or made no step, and its background work (timed reverts, task ends).
 * Reads (`workers`, `audit`, `changes` itself) are not changes.
 */
export function auditSource(
  deps: ChangesDeps,
  resources: readonly string[],
  since: Date,
  /** Actions another source lists better (task runs, from the tasks' own record). */
  shownElsewhere: readonly string[] = [],
): Promise<SourceResult> {
  return read('the audit log', async () => {
    const rows = await deps.audit.search({
      resources,
      since,
      kinds: ['step', 'event', 'outcome'],
      limit: SOURCE_LIMIT,
    });
    const changes = rows.filter(
      (r) => !r.action?.endsWith('.read') && !shownElsewhere.includes(r.action ?? ''),
    );
    const withSteps = new Set(changes.filter((r) => r.kind === 'step').map((r) => r.requestId));
    const names = new Map<string, string | null>();
    for (const email of new Set(changes.map((r) => r.email).filter((e): e is string => !!e)))
      names.set(email, (await deps.people.findUser({ email }))?.name ?? null);
    return changes
      .filter((r) => r.kind !== 'outcome' || !withSteps.has(r.requestId) || r.outcome !== 'ok')
      .map((r) => {
        const detail = detailOf(r.detail);
        const target =
          typeof detail.team === 'string' && typeof detail.target === 'string'
            ? `${detail.team}/${detail.target}`
            : undefined;
        const from = typeof detail.from === 'number' ? detail.from : undefined;
        const to = typeof detail.to === 'number' ? detail.to : undefined;
        const state = (r.outcome ?? '').replaceAll('_', ' ');
        const why =
          typeof detail.reason === 'string' && detail.reason ? ` (why: ${clipText(detail.reason, 120)})` : '';
        const what =
          target && from !== undefined && to !== undefined
            ? `${state} ${target} ${from} → ${to}${why}`
            : `${clipText(r.commandText ?? r.command ?? r.action ?? '', 120)}: ${state}`;
        const entry: ChangeEntry = {
          at: r.at,
          source: 'dpbot',
          who: actorOfRow({ ...r, name: r.email ? names.get(r.email) : null }),
          what: `${what}${r.error ? ` (${clipText(r.error, 120)})` : ''}`,
          link: { audit: r.id },
        };
        if (target && to !== undefined && detail.mode !== 'hpaMinReplicas' && !r.error)
          entry.count = { target, to };
        return entry;
      });
  });
}

/**
 * An application's deployments from its Argo CD history, by anyone: a sync, or a rollback (an
 * entry whose revision returns to an earlier one), with who Argo CD says started it; and an
 * operation still running.
 */
export function argoCdSource(
  deps: ChangesDeps,
  applications: readonly string[],
  since: Date,
): Promise<SourceResult> {
  const argocd = deps.argocd;
  if (!argocd || applications.length === 0) return Promise.resolve({ entries: [] });
  return read('Argo CD', async () => {
    const entries: ChangeEntry[] = [];
    for (const name of applications)
      entries.push(...applicationChanges(deps, name, await argocd.get(name), since));
    return entries;
  });
}

function applicationChanges(deps: ChangesDeps, name: string, app: Application, since: Date): ChangeEntry[] {
  const base = deps.config.argocdUrl?.replace(/\/+$/, '');
  const link = base
    ? { url: `${base}/applications/${encodeURIComponent(name)}`, label: `Argo CD: ${name}` }
    : undefined;
  const history = deploymentHistory(app);
  const entries: ChangeEntry[] = [];
  history.forEach((h, i) => {
    const at = time(h.deployedAt);
    if (!after(at, since)) return;
    const previous = history[i - 1];
    const earlier = history.slice(0, i - 1).some((e) => e.revision === h.revision);
    const rollback = previous !== undefined && previous.revision !== h.revision && earlier;
    // An entry that names no initiator: the last operation's, when that operation deployed it.
    const op = app.status?.operationState;
    const initiatedBy =
      h.initiatedBy ??
      (i === history.length - 1 && (op?.syncResult?.revision ?? op?.operation?.sync?.revision) === h.revision
        ? op?.operation?.initiatedBy
        : undefined);
    const who = initiatedBy?.automated ? 'Argo CD auto-sync' : initiatedBy?.username || 'someone in Argo CD';
    entries.push({
      at,
      source: 'argocd',
      who,
      what: rollback
        ? `rolled ${name} back to ${short(h.revision)} from ${short(previous.revision)} (history ${h.id})`
        : `synced ${name} to ${short(h.revision)}${previous && previous.revision === h.revision ? ' again' : ''} (history ${h.id})`,
      link,
    });
  });
  const op = app.status?.operationState;
  const started = time(op?.startedAt);
  if (op && (op.phase === 'Running' || op.phase === 'Terminating') && after(started, since)) {
    const revision = op.operation?.sync?.revision;
    entries.push({
      at: started,
      source: 'argocd',
      who: op.operation?.initiatedBy?.automated
        ? 'Argo CD auto-sync'
        : op.operation?.initiatedBy?.username || 'someone in Argo CD',
      what: `sync of ${name}${revision ? ` to ${short(revision)}` : ''} in progress`,
      link,
    });
  }
  return entries;
}

/** The Argo CD applications that deployed a team's workloads, by their tracking label or annotation. */
export async function applicationsOfTeam(deps: ChangesDeps, team: ChangesTeam): Promise<string[]> {
  const k8s = deps.kubernetes;
  if (!k8s) return [];
  const apps = new Set<string>();
  for (const target of team.targets) {
    const state = await k8s.read(workloadRef(target));
    const app = state.labels[TRACKING_LABEL] ?? state.annotations[TRACKING_ANNOTATION]?.split(':')[0];
    if (app) apps.add(app);
  }
  return [...apps];
}

/**
 * Worker counts changed outside dpbot: the managers (kubectl, the HPA's controller manager, Argo
 * CD) whose managedFields own the count's field, and the controllers' scaling events, each event
 * put down to the write it followed. dpbot's own writes are in its audit rows instead.
 */
export function kubernetesSource(deps: ChangesDeps, team: ChangesTeam, since: Date): Promise<SourceResult> {
  const k8s = deps.kubernetes;
  if (!k8s) return Promise.resolve({ entries: [] });
  return read('Kubernetes', async () => {
    const entries: ChangeEntry[] = [];
    for (const target of team.targets) {
      const where = `${team.name}/${target.name}`;
      const { writers, events } = await k8s.replicaHistory(workloadRef(target));
      const explained = new Set<string>();
      const sorted = [...events].sort((a, b) => a.at.getTime() - b.at.getTime());
      for (const event of sorted) {
        const writer = writers
          .filter((w) => Math.abs(w.at.getTime() - event.at.getTime()) <= EVENT_MATCH_MS)
          .sort(
            (a, b) =>
              Math.abs(a.at.getTime() - event.at.getTime()) - Math.abs(b.at.getTime() - event.at.getTime()),
          )[0];
        if (writer) explained.add(writer.manager);
        if (writer?.manager === DPBOT_MANAGER || !after(event.at, since)) continue;
        // "… from 4 to 8" (deployment controller), "New size: 8; …" (HPA): the count it set.
        const to = /(?:\bto|New size:) (\d+)(?!.*\bto \d)/.exec(event.message)?.[1];
        entries.push({
          at: event.at,
          source: 'kubernetes',
          who: writer?.manager ?? eventActor(event),
          what: `${where}: ${event.message}${event.reason === 'SuccessfulRescale' ? ` (${event.object})` : ''}`,
          count: to === undefined ? undefined : { target: where, to: Number(to) },
          unexplained: writer === undefined,
        });
      }
      for (const w of writers) {
        if (w.manager === DPBOT_MANAGER || explained.has(w.manager) || !after(w.at, since)) continue;
        entries.push({
          at: w.at,
          source: 'kubernetes',
          who: w.manager,
          what: `${where}: changed the worker count (${w.operation}${w.subresource ? ` of ${w.subresource}` : ''}; the last write of this manager)`,
        });
      }
    }
    return entries;
  });
}

function eventActor(event: ScalingEvent): string {
  return event.component ?? 'Kubernetes';
}

/** The team's task runs (through the tasks capability), by who asked for them. */
export function tasksSource(deps: ChangesDeps, team: string, since: Date): Promise<SourceResult> {
  return read('task runs', async () => {
    const runs = await deps.taskRunsOfTeam(team, since, SOURCE_LIMIT);
    const names = new Map<string, string>();
    for (const email of new Set(runs.map((r) => r.requesterEmail))) {
      const user = await deps.people.findUser({ email });
      names.set(email, personName({ name: user?.name, email }));
    }
    return runs.map((r) => ({
      at: r.createdAt,
      source: 'tasks' as const,
      who: names.get(r.requesterEmail) ?? r.requesterEmail,
      what: `task ${r.task} run #${r.id}: ${r.phase}`,
      link:
        r.workflowName && deps.argo
          ? { url: deps.argo.workflowUrl(r.namespace, r.workflowName), label: `Argo: ${r.workflowName}` }
          : undefined,
    }));
  });
}

/** Workflows a CronWorkflow started in the team's namespaces: its scheduled work. */
export function workflowsSource(deps: ChangesDeps, team: ChangesTeam, since: Date): Promise<SourceResult> {
  const argo = deps.argo;
  if (!argo) return Promise.resolve({ entries: [] });
  return read('Argo Workflows', async () => {
    const entries: ChangeEntry[] = [];
    for (const namespace of new Set(team.targets.map((t) => t.namespace))) {
      const workflows = await argo.listSummaries(namespace, {
        labelSelector: CRON_LABEL,
        limit: SOURCE_LIMIT,
      });
      for (const wf of workflows) {
        const name = wf.metadata?.name;
        const at = time(wf.status?.startedAt ?? wf.metadata?.creationTimestamp);
        if (!name || !after(at, since)) continue;
        const cron = wf.metadata?.labels?.[CRON_LABEL] ?? '?';
        entries.push({
          at,
          source: 'workflows',
          who: `CronWorkflow ${cron}`,
          what: `scheduled workflow ${name}: ${wf.status?.phase ?? 'Pending'}`,
          link: { url: argo.workflowUrl(namespace, name), label: `Argo: ${name}` },
        });
      }
    }
    return entries;
  });
}

/** Every source of a team's changes, read at once; each answers alone. */
export async function teamSources(
  deps: ChangesDeps,
  team: ChangesTeam,
  since: Date,
): Promise<SourceResult[]> {
  const argocd = deps.argocd
    ? applicationsOfTeam(deps, team).then(
        (apps) => argoCdSource(deps, apps, since),
        (error: unknown): SourceResult => ({
          failure: {
            system: 'Argo CD',
            error: `its applications could not be found: ${clipText(errorMessage(error), 300)}`,
          },
        }),
      )
    : Promise.resolve<SourceResult>({ entries: [] });
  return Promise.all([
    auditSource(deps, [`team:${team.name}`], since, ['tasks.run']),
    argocd,
    kubernetesSource(deps, team, since),
    tasksSource(deps, team.name, since),
    workflowsSource(deps, team, since),
  ]);
}

/** Every source of a service's changes: dpbot's record of it and its applications', and their Argo CD history. */
export function serviceSources(
  deps: ChangesDeps,
  service: ChangesService,
  since: Date,
): Promise<SourceResult[]> {
  return Promise.all([
    auditSource(deps, [`service:${service.name}`, ...service.applications.map((a) => `app:${a}`)], since),
    argoCdSource(deps, service.applications, since),
  ]);
}
