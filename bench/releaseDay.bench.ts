import { type ReleaseDayWorld, runReleaseDay, startReleaseDay } from '../test/support/releaseDay.ts';
import type { BenchContext, Benchmark, BenchSection, Measurement } from './harness.ts';
import { benchDatabase } from './support.ts';

/**
 * One release day, counted: 30 services in 10 repositories (3 monorepos), 400 pull requests, 40
 * Jira keys, 3 stakeholder channels, started, every service included, shipped in 3 waves until
 * healthy, notes posted — against the GitHub, Argo CD, Jira and Slack simulators, each answering
 * after LATENCY_MS. Every call each simulator received is counted and compared with the least
 * the flow needs (RELEASE_MINIMUM below, with its reasons).
 */

const LATENCY_MS = 50;
/** Each of an Argo CD sync's four stages (operation running, finished, reconciled, healthy). */
const STAGE_MS = Number(process.env.BENCH_RELEASE_STAGE_MS ?? 1000);
const SETTLE_MS = 2000;
const POLL_MS = 1000;
const SERVICES = 30;
const REPOSITORIES = 10;
const PRS = 400;
const JIRA_KEYS = 40;
const WAVES = 3;
const STAKEHOLDER_CHANNELS = 3;

/**
 * The least each system must be asked for this release, whatever the implementation:
 *
 * GitHub — one GraphQL search per repository and 100 merged pull requests (files come in the same
 *   query): Σ ⌈PRs of the repository / 100⌉ = 10 here (40 per repository).
 * Jira — one JQL search for the 40 keys at start; one version created; the fix version set on
 *   each of the 40 issues (REST edits one issue per request); the version marked released:
 *   1 + 1 + 40 + 1 = 43. (Looking the version up before creating it, the scope searches and the
 *   summaries read again for the notes are dpbot's choices, within the goal.)
 * Argo CD — per application one sync: its answer carries the history a rollback returns to, so no
 *   read comes first (only an auto-synced application, which refuses a sync to a commit, is read
 *   before it is synced to the ref it follows). Then the watch: Argo CD's REST API pushes
 *   nothing, so a watcher reads each application in flight once per look, looks coming every poll
 *   interval: ⌈(4 stages + settle time) / poll interval⌉ + 1 reads to see it through.
 *   30 × (1 + ⌈(4 × 1 s + 2 s) / 1 s⌉ + 1) = 240. (With foreknowledge of when each application
 *   is done, 2 reads would do — 90 in all; only Argo CD's watch stream,
 *   GET /api/v1/stream/applications, gets near that.)
 * Slack chat.postMessage — the release message and one message per service (its thread holds the
 *   service's conversation): 31; a reply in each service's thread when it is included (replies
 *   notify the thread, edits do not): 30; the ship notice, the Jira report and the shipped notice
 *   in the release thread: 3; one note per stakeholder channel: 3. 67 in all.
 * Slack chat.update — each service's message when it is included (30) and when shipping starts
 *   (its Include/Skip buttons go: 30); the release message once after the decisions, at ship,
 *   twice per wave (its applications syncing, then healthy), for the Jira note and when shipped:
 *   1 + 1 + 2 × 3 + 1 + 1 = 10. 70 in all.
 */
export const RELEASE_MINIMUM = {
  github: REPOSITORIES * Math.ceil(PRS / REPOSITORIES / 100),
  jira: 1 + 1 + JIRA_KEYS + 1,
  argocd: SERVICES * (1 + Math.ceil((4 * STAGE_MS + SETTLE_MS) / POLL_MS) + 1),
  /** The same with foreknowledge of when each application is done: a sync and 2 reads. */
  argocdForeknown: SERVICES * 3,
  'chat.postMessage': 1 + SERVICES + SERVICES + 3 + STAKEHOLDER_CHANNELS,
  'chat.update': SERVICES + SERVICES + (1 + 1 + 2 * WAVES + 1 + 1),
};

interface Counted {
  github: number;
  jira: number;
  argocd: number;
  argocdReads: number;
  slack: Map<string, number>;
  peakPostsPerSecond: number;
  peakUpdatesPerMinute: number;
  /** The most Argo CD reads in one watch look, and the most applications in flight at a look. */
  readsPerLook: { reads: number; inFlight: number }[];
  /** Jira and Argo CD calls by route, for the log. */
  routes: string;
  shipMs: number;
  releaseMs: number;
}

/**
 * The watcher's looks, seen from Argo CD: reads of applications at least LOOK_GAP apart belong to
 * different looks (one look reads its applications one after the other). An application is in
 * flight from its sync request until dpbot's last read of it.
 */
function looks(world: ReleaseDayWorld): { reads: number; inFlight: number }[] {
  const LOOK_GAP = POLL_MS / 2;
  const syncs = world.argocd.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/sync'));
  const reads = world.argocd.requests.filter(
    (r) => r.method === 'GET' && /^\/api\/v1\/applications\/[^/]+$/.test(r.path),
  );
  const flight = new Map<string, { from: number; to: number }>();
  for (const s of syncs) flight.set(s.path.split('/')[4] ?? '', { from: s.at, to: s.at });
  for (const r of reads) {
    const f = flight.get(r.path.split('/')[4] ?? '');
    if (f && r.at >= f.from) f.to = r.at;
  }
  // Reads during the watch: of applications already asked to sync.
  const watched = reads.filter((r) => {
    const f = flight.get(r.path.split('/')[4] ?? '');
    return f !== undefined && r.at > f.from;
  });
  const out: { reads: number; inFlight: number }[] = [];
  let group: number[] = [];
  const close = () => {
    if (!group.length) return;
    const at = group[0] as number;
    const inFlight = [...flight.values()].filter((f) => f.from <= at && f.to >= at).length;
    out.push({ reads: group.length, inFlight });
    group = [];
  };
  for (const r of watched) {
    if (group.length && r.at - (group.at(-1) as number) > LOOK_GAP) close();
    group.push(r.at);
  }
  close();
  return out;
}

async function oneRelease(ctx: BenchContext): Promise<Counted> {
  const database = await benchDatabase(ctx.adminUrl);
  let world: ReleaseDayWorld | undefined;
  try {
    world = await startReleaseDay({
      databaseUrl: database.url,
      latencyMs: LATENCY_MS,
      stageMs: STAGE_MS,
      settleMs: SETTLE_MS,
      pollMs: POLL_MS,
    });
    const w = world;
    const at: Record<string, number> = {};
    const begin = performance.now();
    await runReleaseDay(w, (step, t) => {
      at[step] = t;
      ctx.log(`  ${step} after ${((t - begin) / 1000).toFixed(1)} s`);
    });
    // Updates still coalescing go out before the counting.
    await w.notifier.drained();
    const slack = w.slack.callsByMethod();
    return {
      github: w.github.requests.length,
      jira: w.jira.sim.requests.length,
      argocd: w.argocd.requests.length,
      argocdReads: w.argocd.requests.filter((r) => r.method === 'GET').length,
      slack,
      peakPostsPerSecond: Math.max(0, ...w.slack.peakPostsPerChannel(1000).values()),
      peakUpdatesPerMinute: w.slack.peakCalls('chat.update', 60_000),
      readsPerLook: looks(w),
      routes: [w.jira.sim, w.argocd]
        .flatMap((sim) => [...sim.countByRoute()].map(([route, n]) => `${sim.name} ${route} ${n}`))
        .join('; '),
      shipMs: (at.shipped ?? 0) - (at.shipping ?? 0),
      releaseMs: (at.shipped ?? 0) - begin,
    };
  } finally {
    await world?.close();
    await database.drop();
  }
}

export const releaseDayBenchmark: Benchmark = {
  name: 'release-day',
  async run(ctx: BenchContext): Promise<BenchSection> {
    const runs: Counted[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      const c = await oneRelease(ctx);
      runs.push(c);
      const maxLook = c.readsPerLook.reduce((m, l) => (l.reads > m.reads ? l : m), { reads: 0, inFlight: 0 });
      ctx.log(`run ${i + 1} by route: ${c.routes}`);
      ctx.log(
        `run ${i + 1}: GitHub ${c.github}, Jira ${c.jira}, Argo CD ${c.argocd} (${c.argocdReads} reads; most in a look ${maxLook.reads} with ${maxLook.inFlight} in flight), Slack ${[...c.slack].map(([m, n]) => `${m} ${n}`).join(', ')}; busiest channel second ${c.peakPostsPerSecond}, busiest chat.update minute ${c.peakUpdatesPerMinute}; ship ${Math.round(c.shipMs)} ms`,
      );
    }
    const min = (n: number) => runs.map(() => n);
    const count = (name: string, samples: number[], minimum: number, note: string): Measurement => ({
      name,
      unit: 'calls',
      samples,
      baseline: { name: 'least the flow needs', samples: min(minimum) },
      note: `goal ≤ 1.5× the least (${minimum}): ${note}`,
    });
    const slackOf = (m: string) => runs.map((r) => r.slack.get(m) ?? 0);
    const otherSlack = runs.map((r) =>
      [...r.slack]
        .filter(([m]) => m !== 'chat.postMessage' && m !== 'chat.update')
        .reduce((a, [, n]) => a + n, 0),
    );
    const syncDurationsMs = WAVES * (4 * STAGE_MS + SETTLE_MS);
    const maxLooks = runs.map((r) => Math.max(0, ...r.readsPerLook.map((l) => l.reads)));
    const maxInFlight = runs.map((r) => Math.max(0, ...r.readsPerLook.map((l) => l.inFlight)));
    return {
      title: 'Release day, counted',
      description: `One release of ${SERVICES} services in ${REPOSITORIES} repositories (3 monorepos), ${PRS} merged pull requests, ${JIRA_KEYS} Jira keys, ${STAKEHOLDER_CHANNELS} stakeholder channels: release start → every service included → release ship (confirmed; ${WAVES} waves of ${SERVICES / WAVES}) → healthy → notes, through the pipeline with dpbot's real clients and Slack notifier, against the GitHub, Argo CD, Jira and Slack simulators answering after ${LATENCY_MS} ms. Each Argo CD sync takes 4 stages of ${STAGE_MS} ms; settle time ${SETTLE_MS} ms, poll interval ${POLL_MS} ms. Calls are counted at the simulators and compared with the least the flow needs (README "Performance" gives the reasoning: GitHub one search per repository and 100 pull requests; Jira one key search, one version, one edit per issue, one release; Argo CD one sync per application and one read per look while it is in flight; Slack one message per service and for the release, a thread reply per decision, 3 notices, one note per stakeholder channel; chat.update 2 per service and 10 for the release message).`,
      measurements: [
        count(
          'GitHub requests',
          runs.map((r) => r.github),
          RELEASE_MINIMUM.github,
          'one GraphQL search per repository and 100 pull requests',
        ),
        count(
          'Jira requests',
          runs.map((r) => r.jira),
          RELEASE_MINIMUM.jira,
          'a key search, the version, one edit per issue, the release',
        ),
        count(
          'Argo CD requests',
          runs.map((r) => r.argocd),
          RELEASE_MINIMUM.argocd,
          `per application a sync, then a read per look while in flight (knowing when each is done, 2 reads would do: ${RELEASE_MINIMUM.argocdForeknown} in all)`,
        ),
        count(
          'Slack chat.postMessage',
          slackOf('chat.postMessage'),
          RELEASE_MINIMUM['chat.postMessage'],
          'the release and service messages, a reply per decision, 3 notices, 3 stakeholder notes',
        ),
        count(
          'Slack chat.update',
          slackOf('chat.update'),
          RELEASE_MINIMUM['chat.update'],
          'each service message twice, the release message 10 times',
        ),
        { name: 'Slack, other methods', unit: 'calls', samples: otherSlack },
        {
          name: 'busiest channel: posts in one second',
          unit: 'posts',
          samples: runs.map((r) => r.peakPostsPerSecond),
          note: 'goal ≤ 1 (chat.postMessage: about one message per second per channel), measured at the Slack simulator',
        },
        {
          name: 'chat.update in the busiest minute',
          unit: 'calls',
          samples: runs.map((r) => r.peakUpdatesPerMinute),
          note: 'goal ≤ 50 (chat.update is Tier 3: about 50 a minute per app and workspace; dpbot allows itself 45)',
        },
        {
          name: 'Argo CD reads in one watch look (most)',
          unit: 'reads',
          samples: maxLooks,
          baseline: { name: 'applications in flight then (most)', samples: maxInFlight },
          note: `reads grow with the applications in flight (at most one wave of ${SERVICES / WAVES}), not with the ${SERVICES} of the release`,
        },
        {
          name: 'ship wall time',
          unit: 'ms',
          samples: runs.map((r) => Math.round(r.shipMs)),
          baseline: {
            name: 'the syncs themselves (3 waves × (4 stages + settle))',
            samples: min(syncDurationsMs),
          },
        },
        { name: 'whole release wall time', unit: 'ms', samples: runs.map((r) => Math.round(r.releaseMs)) },
      ],
    };
  },
};
