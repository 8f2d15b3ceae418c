import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import type { Benchmark, BenchSection } from './harness.ts';
import { RoundTripCounter } from './roundTripCounter.ts';
import {
  BENCH_SIGNING_SECRET,
  benchSetup,
  cpuMs,
  DPBOT_NODE_FLAGS,
  freePort,
  slashLoad,
  startProcess,
  stopProcess,
} from './slackLoad.ts';
import { benchDatabase, percentile } from './support.ts';

// BENCH_ACK_REQUESTS lowers the load for a quick look on a busy machine; the published figure uses 5,000.
const REQUESTS = Number(process.env.BENCH_ACK_REQUESTS ?? 5_000);
const CONNECTIONS = 50;
/** dpbot's pool and the floor app's, so the floor waits for connections as dpbot would. */
const POOL_SIZE = 20;
/** Teams the scales are spread over: changes of one team wait for each other, of different teams do not. */
const TEAMS = 50;
/** Requests of the phase that counts round trips (through a counting proxy, so not timed). */
const COUNTED = Math.min(REQUESTS, 1_000);

/**
 * A scale of a team the caller is not granted (it exists, so the name check passes): identified,
 * authorized, audited and answered in the acknowledgement; nothing runs after it.
 */
const deniedScale = (n: number) => `scale team-denied ${8 + (n % 2)} --reason "bench ${n}"`;
/**
 * A scale that runs after its acknowledgement and ends in an announcement; each team's count
 * steps through 8–12 (no confirmation: within 2× of the count before).
 */
const allowedScale = (n: number) =>
  `scale team-${n % TEAMS} ${8 + (Math.floor(n / TEAMS) % 5)} --reason "bench ${n}"`;
/**
 * Each team's scales are typed in that team's channel, where their announcements go: dpbot posts
 * at most one message a second to a channel (Slack's limit), so 5,000 announcements in one channel
 * would take 5,000 s whatever dpbot did.
 */
// Slack's shape (C and eight or more capitals or digits): the simulator knows these channels, so
// announcements are posted there rather than refused and sent through the response URL instead.
const teamChannel = (team: number) => `C0TEAM${String(team).padStart(3, '0')}`;

function sorted(values: Iterable<number>): number[] {
  return [...values].sort((a, b) => a - b);
}

/**
 * Time to acknowledge a signed `/dp scale` in dpbot on real PostgreSQL with the Kubernetes
 * simulator behind it: with nothing to run after the acknowledgement, and while every request
 * also runs its scale; against a bare Bolt app that only acknowledges and against the floor, a
 * Bolt app that commits one INSERT before acknowledging. Each is its own process under the same
 * load (autocannon, 50 connections). Also: the round trips to PostgreSQL per acknowledgement, and
 * the whole way from the request to the scale's announcement in the channel.
 */
export const ackBenchmark: Benchmark = {
  name: 'ack',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    const teams = Array.from({ length: TEAMS }, (_, i) => `team-${i}`);
    const setup = await benchSetup({
      teams: [...teams, 'team-denied'],
      granted: teams,
      kubernetes: { readinessTimeout: '5s' },
      extra: { database: { poolSize: POOL_SIZE } },
    });
    const { kube, slack, config } = setup;
    // Each request its own response_url, as Slack gives them; each team its channel, as the
    // scales below are typed there.
    const responseUrl = (n: number) => slack.responseUrl(`bench-${n}-${randomUUID()}`);
    for (let team = 0; team < TEAMS; team++)
      slack.addChannel({ id: teamChannel(team), name: `team-${team}`, botMember: true });

    const startDpbot = async (databaseUrl: string) => {
      const port = await freePort();
      // BENCH_CPU_PROF=<folder> keeps a CPU profile of each dpbot run there, to see where the
      // acknowledgement time goes.
      const profile = process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [];
      const { child } = await startProcess(
        [...DPBOT_NODE_FLAGS, ...profile, join(projectRoot(), 'bin/dpbot.ts'), 'start', '--config', config],
        {
          DATABASE_URL: databaseUrl,
          SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
          SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
          PORT: String(port),
          LOG_LEVEL: 'warn',
        },
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
      );
      return { child, url: `http://127.0.0.1:${port}` };
    };
    const startFloor = async (databaseUrl: string) => {
      const port = await freePort();
      const { child } = await startProcess(
        [join(projectRoot(), 'bench/floorBolt.ts')],
        {
          SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          POOL_SIZE: String(POOL_SIZE),
        },
        async () => (await fetch(`http://127.0.0.1:${port}/`)).status === 404,
      );
      return { child, url: `http://127.0.0.1:${port}` };
    };
    const count = async (where: string, params: unknown[] = []) =>
      Number(
        (await bench.pool.query(`SELECT count(*) AS n FROM audit_log WHERE ${where}`, params)).rows[0]?.n,
      );
    const attempts = () => count("kind = 'attempt' AND command = 'scale'");
    /** The scales run after their acknowledgements: waits (bounded) until every one has its outcome. */
    const settled = async () => {
      for (let i = 0; i < 900; i++) {
        const open = await count(
          "kind = 'attempt' AND command = 'scale' AND decision = 'allow' AND request_id NOT IN (SELECT request_id FROM audit_log WHERE kind = 'outcome')",
        );
        if (open === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    };
    /** Times from sending request n to its announcement (chat.postMessage naming `<tag> n`). */
    const announced = (from: number, tag: string, sentAt: Map<number, number>): number[] => {
      const times: number[] = [];
      const pattern = new RegExp(`${tag} (\\d+)`);
      for (const r of slack.requests.slice(from)) {
        if (!r.path.endsWith('/chat.postMessage')) continue;
        const sent = sentAt.get(Number(pattern.exec(JSON.stringify(r.body))?.[1]));
        if (sent !== undefined) times.push(r.at - sent);
      }
      return times;
    };
    const load = (url: string, requests: number, text: (n: number) => string) =>
      slashLoad({
        url,
        responseUrl,
        requests,
        connections: CONNECTIONS,
        text,
        ...(text === allowedScale ? { channel: (n: number) => teamChannel(n % TEAMS) } : {}),
      });

    const figures = {
      ackOnly50: [] as number[],
      ackOnly99: [] as number[],
      busy50: [] as number[],
      busy99: [] as number[],
      bare50: [] as number[],
      bare99: [] as number[],
      floor50: [] as number[],
      floor99: [] as number[],
      whole50: [] as number[],
      whole99: [] as number[],
      announced: [] as number[],
      kube50: [] as number[],
      kube99: [] as number[],
      audited: [] as number[],
      burstAckMax: [] as number[],
      burstWhole50: [] as number[],
      burstWholeMax: [] as number[],
      ackCpu: [] as number[],
      scaleCpu: [] as number[],
      floorCpu: [] as number[],
    };
    const roundTrips = { ack: [] as number[], scale: [] as number[], floor: [] as number[] };
    try {
      // Round trips, counted once: dpbot and the floor talk to PostgreSQL through a counting proxy.
      {
        const db = new URL(bench.url);
        const counter = new RoundTripCounter({ host: db.hostname, port: Number(db.port || 5432) });
        const proxied = await counter.start(bench.url);
        // dpbot's own pool (`dpbot/<replica>`) and the floor's (none); the job queue's left out.
        const requests = (app: string) => app === '' || app.startsWith('dpbot/');
        try {
          const bot = await startDpbot(proxied);
          try {
            // The caller's first request reads Slack's profile and the directory; count the rest.
            await load(bot.url, 10, deniedScale);
            counter.take(requests);
            await load(bot.url, COUNTED, deniedScale);
            roundTrips.ack.push(counter.take(requests) / COUNTED);
            await load(bot.url, COUNTED, allowedScale);
            await settled();
            roundTrips.scale.push(counter.take(requests) / COUNTED);
          } finally {
            await stopProcess(bot.child);
          }
          const floor = await startFloor(proxied);
          try {
            counter.take(requests);
            await load(floor.url, COUNTED, deniedScale);
            roundTrips.floor.push(counter.take(requests) / COUNTED);
          } finally {
            await stopProcess(floor.child);
          }
        } finally {
          await counter.stop();
        }
        ctx.log(
          `ack: round trips per request: dpbot acknowledgement ${roundTrips.ack[0]?.toFixed(2)}, dpbot scale (all of it) ${roundTrips.scale[0]?.toFixed(2)}, floor ${roundTrips.floor[0]?.toFixed(2)}`,
        );
      }

      for (let run = 0; run < ctx.runs; run++) {
        const bot = await startDpbot(bench.url);
        try {
          await load(bot.url, 10, deniedScale);
          const before = await attempts();
          let cpu = cpuMs(bot.child.pid);
          const ackOnly = await load(bot.url, REQUESTS, deniedScale);
          figures.ackCpu.push((cpuMs(bot.child.pid) - cpu) / REQUESTS);
          if (ackOnly.non2xx > 0) ctx.log(`ack: ${ackOnly.non2xx} non-2xx answers from dpbot`);
          figures.ackOnly50.push(ackOnly.p50);
          figures.ackOnly99.push(ackOnly.p99);
          const posted = slack.requests.length;
          cpu = cpuMs(bot.child.pid);
          const busy = await load(bot.url, REQUESTS, allowedScale);
          if (busy.non2xx > 0) ctx.log(`ack: ${busy.non2xx} non-2xx answers from dpbot`);
          figures.busy50.push(busy.p50);
          figures.busy99.push(busy.p99);
          await settled();
          figures.scaleCpu.push((cpuMs(bot.child.pid) - cpu) / REQUESTS);
          figures.audited.push((await attempts()) - before);
          // The whole way: from sending the request to the announcement reaching Slack.
          const w = sorted(announced(posted, 'bench', busy.sentAt));
          figures.whole50.push(percentile(w, 50));
          figures.whole99.push(percentile(w, 99));
          figures.announced.push(w.length);
          // Fifty people at once, each scaling their own team, on a quiet process.
          const burstFrom = slack.requests.length;
          const burst = await slashLoad({
            url: bot.url,
            responseUrl,
            requests: TEAMS,
            connections: TEAMS,
            text: (n) => `scale team-${n - 1} ${13 + (run % 2)} --reason "burst ${n}"`,
            channel: (n) => teamChannel(n - 1),
          });
          await settled();
          const b = sorted(announced(burstFrom, 'burst', burst.sentAt));
          figures.burstAckMax.push(burst.max);
          figures.burstWhole50.push(percentile(b, 50));
          figures.burstWholeMax.push(b.at(-1) ?? 0);
          // Posts the simulator refused would make these figures measure the response URL fallback.
          const unposted = slack.refused.filter(
            (r) => r.method === 'chat.postMessage' && r.error !== 'ratelimited',
          );
          if (unposted.length > 0)
            throw new Error(
              `ack: ${unposted.length} announcements refused by Slack (first: ${unposted[0]?.error})`,
            );
        } finally {
          await stopProcess(bot.child);
        }
        const outcomes = await bench.pool.query<{ outcome: string; n: string }>(
          "SELECT outcome, count(*) AS n FROM audit_log WHERE kind = 'outcome' AND command = 'scale' GROUP BY outcome",
        );
        ctx.log(
          `ack run ${run + 1}: scale outcomes so far: ${outcomes.rows.map((r) => `${r.outcome} ${r.n}`).join(', ')}`,
        );

        const barePort = await freePort();
        const bare = await startProcess(
          [join(projectRoot(), 'bench/bareBolt.ts')],
          { SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET, PORT: String(barePort) },
          // Any answer means it listens; a GET elsewhere than /slack/events does not make Bolt log a
          // failed signature check.
          async () => (await fetch(`http://127.0.0.1:${barePort}/`)).status === 404,
        );
        try {
          const r = await load(`http://127.0.0.1:${barePort}`, REQUESTS, deniedScale);
          figures.bare50.push(r.p50);
          figures.bare99.push(r.p99);
        } finally {
          await stopProcess(bare.child);
        }
        const floor = await startFloor(bench.url);
        try {
          const cpu = cpuMs(floor.child.pid);
          const r = await load(floor.url, REQUESTS, deniedScale);
          figures.floorCpu.push((cpuMs(floor.child.pid) - cpu) / REQUESTS);
          if (r.non2xx > 0) ctx.log(`ack: ${r.non2xx} non-2xx answers from the floor app`);
          figures.floor50.push(r.p50);
          figures.floor99.push(r.p99);
        } finally {
          await stopProcess(floor.child);
        }
        // The simulator's own round trip: one GET of a workload, as the scale's reads are.
        const kubeTimes: number[] = [];
        for (let i = 0; i < 200; i++) {
          const t = performance.now();
          const res = await fetch(
            `${kube.url}/apis/apps/v1/namespaces/team-${i % TEAMS}/deployments/ingest-workers`,
            {
              headers: { authorization: `Bearer ${kube.token}` },
            },
          );
          await res.arrayBuffer();
          kubeTimes.push(performance.now() - t);
        }
        const k = sorted(kubeTimes);
        figures.kube50.push(percentile(k, 50));
        figures.kube99.push(percentile(k, 99));
        ctx.log(
          `ack run ${run + 1}: dpbot p50/p99 ${figures.ackOnly50.at(-1)}/${figures.ackOnly99.at(-1)} ms with nothing to run after, ${figures.busy50.at(-1)}/${figures.busy99.at(-1)} ms while the scales run (${figures.audited.at(-1)} attempts audited); floor ${figures.floor50.at(-1)}/${figures.floor99.at(-1)} ms; bare Bolt ${figures.bare50.at(-1)}/${figures.bare99.at(-1)} ms; whole way ${figures.whole50.at(-1)?.toFixed(0)}/${figures.whole99.at(-1)?.toFixed(0)} ms (${figures.announced.at(-1)} announced); fifty at once: slowest ack ${figures.burstAckMax.at(-1)} ms, whole way ${figures.burstWhole50.at(-1)?.toFixed(0)}/${figures.burstWholeMax.at(-1)?.toFixed(0)} ms; CPU per request ${figures.ackCpu.at(-1)?.toFixed(2)} ms acknowledging, ${figures.scaleCpu.at(-1)?.toFixed(2)} ms scaling, floor ${figures.floorCpu.at(-1)?.toFixed(2)} ms, Kubernetes GET ${figures.kube50.at(-1)?.toFixed(2)}/${figures.kube99.at(-1)?.toFixed(2)} ms`,
        );
      }
    } finally {
      await setup.remove();
      await bench.drop();
    }
    const floor50 = { name: 'Bolt + one INSERT p50', samples: figures.floor50 };
    const floor99 = { name: 'Bolt + one INSERT p99', samples: figures.floor99 };
    const total = (REQUESTS * 2).toLocaleString('en');
    return {
      title: 'Acknowledgement latency',
      description: `${REQUESTS.toLocaleString('en')} signed \`/dp scale\` requests per load at concurrency ${CONNECTIONS} (autocannon) into \`dpbot start\` on real PostgreSQL (pool of ${POOL_SIZE}) with the Kubernetes and Slack simulators. Each request is verified, checked for replay, parsed, its caller identified and authorized, and its attempt audited before the acknowledgement. Two loads into the same process: *nothing after the acknowledgement* (the caller is not granted the team: the denial is the acknowledgement), then *while the scales run* (granted, across ${TEAMS} teams: each request's scale runs after its acknowledgement and ends in an announcement in the channel). Baselines: a bare Bolt app that only verifies and acknowledges, and the floor — a Bolt app that verifies and commits one INSERT of the request into PostgreSQL (pool of ${POOL_SIZE}) before acknowledging, the least an audited acknowledgement can do. Round trips are counted once, on ${COUNTED.toLocaleString('en')} requests, by a proxy in front of PostgreSQL (the job queue's own connections left out).`,
      measurements: [
        {
          name: 'p50 acknowledgement, nothing after it',
          unit: 'ms',
          samples: figures.ackOnly50,
          baseline: floor50,
          note: 'goal ≤ 2× the floor',
        },
        {
          name: 'p99 acknowledgement, nothing after it',
          unit: 'ms',
          samples: figures.ackOnly99,
          baseline: floor99,
          note: 'goal ≤ 1.5× the floor',
        },
        {
          name: 'p50 acknowledgement while the scales run',
          unit: 'ms',
          samples: figures.busy50,
          baseline: floor50,
        },
        {
          name: 'p99 acknowledgement while the scales run',
          unit: 'ms',
          samples: figures.busy99,
          baseline: { name: 'p99, nothing after it', samples: figures.ackOnly99 },
          note: 'goal ≤ 1.2×: the scales running behind the acknowledgements must not delay them',
        },
        {
          name: 'p99 acknowledgement while the scales run, against the floor',
          unit: 'ms',
          samples: figures.busy99,
          baseline: floor99,
        },
        {
          name: 'p50 acknowledgement, against a bare Bolt app',
          unit: 'ms',
          samples: figures.ackOnly50,
          baseline: { name: 'bare Bolt p50', samples: figures.bare50 },
        },
        {
          name: 'p99 acknowledgement, against a bare Bolt app',
          unit: 'ms',
          samples: figures.ackOnly99,
          baseline: { name: 'bare Bolt p99', samples: figures.bare99 },
        },
        {
          name: 'attempt rows audited per run',
          unit: 'rows',
          samples: figures.audited,
          note: `must be ${total} (both loads)`,
        },
        {
          name: 'round trips to PostgreSQL per acknowledgement',
          unit: 'round trips',
          samples: roundTrips.ack,
          baseline: { name: 'the floor', samples: roundTrips.floor },
          note: 'statements the requests send before their acknowledgement: Slack deliveries recorded, and attempt rows appended, that arrive together share one statement',
        },
        {
          name: 'CPU per acknowledgement, nothing after it',
          unit: 'ms',
          samples: figures.ackCpu,
          baseline: { name: 'the floor', samples: figures.floorCpu },
          note: "the process's user and system time over the load, per request: what a shared machine's load cannot blur",
        },
        {
          name: 'CPU per scale, all of it',
          unit: 'ms',
          samples: figures.scaleCpu,
          baseline: { name: 'the floor', samples: figures.floorCpu },
        },
        {
          name: 'round trips per scale, all of it',
          unit: 'round trips',
          samples: roundTrips.scale,
          note: 'acknowledgement, plan, lock, change, audit rows and announcement of each request',
        },
        {
          name: 'p50 the whole way, request → announcement',
          unit: 'ms',
          samples: figures.whole50,
          baseline: { name: 'Kubernetes simulator GET p50', samples: figures.kube50 },
        },
        {
          name: 'p99 the whole way, request → announcement',
          unit: 'ms',
          samples: figures.whole99,
          baseline: { name: 'Kubernetes simulator GET p99', samples: figures.kube99 },
          note: `${TEAMS} teams' changes side by side, each team's one after the other, while ${REQUESTS.toLocaleString('en')} requests keep arriving`,
        },
        {
          name: 'fifty at once: slowest acknowledgement',
          unit: 'ms',
          samples: figures.burstAckMax,
          baseline: floor50,
          note: `${TEAMS} people scale ${TEAMS} teams at the same moment, after the loads`,
        },
        {
          name: 'fifty at once: p50 the whole way, request → announcement',
          unit: 'ms',
          samples: figures.burstWhole50,
          baseline: { name: 'Kubernetes simulator GET p50', samples: figures.kube50 },
        },
        {
          name: 'fifty at once: slowest, request → announcement',
          unit: 'ms',
          samples: figures.burstWholeMax,
          baseline: { name: 'Kubernetes simulator GET p50', samples: figures.kube50 },
        },
        {
          name: 'scales announced per run',
          unit: 'scales',
          samples: figures.announced,
          note: `of ${REQUESTS.toLocaleString('en')}: the others were a count already set, or waited past the team's lock timeout`,
        },
      ],
    };
  },
};
