import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { stringify } from 'yaml';
import { projectRoot } from '../core/paths.ts';
import { KubernetesSimulator } from '../sandbox/kubernetes/kubernetesSimulator.ts';
import { SANDBOX_BOT_TOKEN, SlackSimulator } from '../sandbox/slack/slackSimulator.ts';
import type { Benchmark, BenchSection } from './harness.ts';
import { benchDatabase } from './support.ts';

// BENCH_ACK_REQUESTS lowers the load for a quick look on a busy machine; the published figure uses 5,000.
const REQUESTS = Number(process.env.BENCH_ACK_REQUESTS ?? 5_000);
const CONNECTIONS = 50;
/** dpbot's pool and the floor app's, so the floor waits for connections as dpbot would. */
const POOL_SIZE = 20;
const SECRET = 'bench-signing-secret-0123456789abcdef';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Starts a process and resolves once `ready(url)` answers; the process is killed on failure. */
async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if (await ready().catch(() => false)) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not become ready`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** 5,000 slash commands, each signed as Slack signs them (a unique trigger_id keeps signatures unique). */
async function load(url: string, responseUrl: string): Promise<{ p50: number; p99: number; non2xx: number }> {
  let n = 0;
  const result = await autocannon({
    url: `${url}/slack/events`,
    connections: CONNECTIONS,
    amount: REQUESTS,
    method: 'POST',
    requests: [
      {
        setupRequest: (req) => {
          n++;
          const body = new URLSearchParams({
            team_id: 'T0SANDBOX',
            channel_id: 'C0OPS',
            user_id: 'U0ADA00001',
            command: '/dp',
            text: `scale team-x ${8 + (n % 2)} --reason "bench ${n}"`,
            response_url: responseUrl,
            trigger_id: randomUUID(),
          }).toString();
          const ts = String(Math.floor(Date.now() / 1000));
          const signature = `v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
          return {
            ...req,
            body,
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              'x-slack-request-timestamp': ts,
              'x-slack-signature': signature,
            },
          };
        },
      },
    ],
  });
  return { p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

/**
 * Time to acknowledge a signed `/dp scale` (verify, replay check, parse, identify, authorize, write
 * the attempt row, acknowledge) in dpbot on real PostgreSQL with the Kubernetes simulator behind
 * it, against a bare Bolt app that only acknowledges; both are separate processes under the same
 * load (autocannon, 50 connections).
 */
export const ackBenchmark: Benchmark = {
  name: 'ack',
  async run(ctx): Promise<BenchSection> {
    const bench = await benchDatabase(ctx.adminUrl);
    const kube = new KubernetesSimulator();
    kube.addWorkload({
      kind: 'Deployment',
      namespace: 'team-x',
      name: 'ingest-workers',
      replicas: 8,
      capacity: 30,
    });
    const slack = new SlackSimulator().addUser({ id: 'U0ADA00001', name: 'ada', email: 'ada@example.com' });
    slack.addChannel({ id: 'C0OPS', name: 'ops', botMember: true });
    await kube.start();
    await slack.start();
    const dir = mkdtempSync(join(tmpdir(), 'dpbot-bench-ack-'));
    chmodSync(dir, 0o755);
    const write = (name: string, content: object | string) => {
      writeFileSync(join(dir, name), typeof content === 'string' ? content : stringify(content));
      return join(dir, name);
    };
    write('kubeconfig.yaml', kube.kubeconfig(['sandbox']));
    write('directory.yaml', {
      users: [{ email: 'ada@example.com', slackId: 'U0ADA00001' }],
      groups: [{ id: 'oncall', members: ['ada@example.com'] }],
    });
    mkdirSync(join(dir, 'policies'));
    write('policies/grants.yaml', {
      grants: [{ group: 'file:oncall', actions: ['workers.scale'], resources: ['team:team-x'] }],
    });
    const config = write('dpbot.yaml', {
      log: { level: 'warn' },
      database: { poolSize: POOL_SIZE },
      directory: { sources: [{ name: 'file', type: 'file', path: 'directory.yaml' }] },
      slack: { apiUrl: slack.apiUrl },
      kubernetes: { kubeconfig: 'kubeconfig.yaml', readinessTimeout: '5s' },
      teams: [
        {
          name: 'team-x',
          maxReplicas: 20,
          targets: [
            {
              name: 'workers',
              cluster: 'sandbox',
              namespace: 'team-x',
              kind: 'Deployment',
              object: 'ingest-workers',
            },
          ],
        },
      ],
    });

    const dpbotP50: number[] = [];
    const dpbotP99: number[] = [];
    const bareP50: number[] = [];
    const bareP99: number[] = [];
    const floorP50: number[] = [];
    const floorP99: number[] = [];
    const floorRows: number[] = [];
    const audited: number[] = [];
    try {
      for (let run = 0; run < ctx.runs; run++) {
        const botPort = await freePort();
        // BENCH_CPU_PROF=<folder> keeps a CPU profile of each dpbot run there, to see where the
        // acknowledgement time goes.
        const profile = process.env.BENCH_CPU_PROF
          ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
          : [];
        const bot = await startProcess(
          [...profile, join(projectRoot(), 'bin/dpbot.ts'), 'start', '--config', config],
          {
            DATABASE_URL: bench.url,
            SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
            SLACK_SIGNING_SECRET: SECRET,
            PORT: String(botPort),
            LOG_LEVEL: 'warn',
          },
          async () => (await fetch(`http://127.0.0.1:${botPort}/readyz`)).ok,
        );
        const before = Number(
          (
            await bench.pool.query(
              "SELECT count(*) AS n FROM audit_log WHERE kind = 'attempt' AND command = 'scale'",
            )
          ).rows[0]?.n,
        );
        try {
          const r = await load(`http://127.0.0.1:${botPort}`, slack.responseUrl('bench'));
          if (r.non2xx > 0) ctx.log(`ack: ${r.non2xx} non-2xx answers from dpbot`);
          dpbotP50.push(r.p50);
          dpbotP99.push(r.p99);
          // The scales themselves run after their acknowledgements, one at a time per team: let
          // them finish (bounded) before stopping, so every outcome is audited too.
          const count = async (kind: string) =>
            Number(
              (
                await bench.pool.query(
                  "SELECT count(*) AS n FROM audit_log WHERE kind = $1 AND command = 'scale'",
                  [kind],
                )
              ).rows[0]?.n,
            );
          for (let i = 0; i < 600 && (await count('outcome')) < (await count('attempt')); i++) {
            await new Promise((resolve) => setTimeout(resolve, 1000));
          }
        } finally {
          await stopProcess(bot);
        }
        const after = Number(
          (
            await bench.pool.query(
              "SELECT count(*) AS n FROM audit_log WHERE kind = 'attempt' AND command = 'scale'",
            )
          ).rows[0]?.n,
        );
        audited.push(after - before);
        const outcomes = await bench.pool.query<{ outcome: string; n: string }>(
          "SELECT outcome, count(*) AS n FROM audit_log WHERE kind = 'outcome' AND command = 'scale' GROUP BY outcome",
        );
        ctx.log(
          `ack run ${run + 1}: outcomes so far: ${outcomes.rows.map((r) => `${r.outcome} ${r.n}`).join(', ')}`,
        );

        const barePort = await freePort();
        const bare = await startProcess(
          [join(projectRoot(), 'bench/bareBolt.ts')],
          { SLACK_SIGNING_SECRET: SECRET, PORT: String(barePort) },
          // Any answer means it listens; a GET elsewhere than /slack/events does not make Bolt log a
          // failed signature check.
          async () => (await fetch(`http://127.0.0.1:${barePort}/`)).status === 404,
        );
        try {
          const r = await load(`http://127.0.0.1:${barePort}`, slack.responseUrl('bench'));
          bareP50.push(r.p50);
          bareP99.push(r.p99);
        } finally {
          await stopProcess(bare);
        }
        const floorPort = await freePort();
        const floor = await startProcess(
          [join(projectRoot(), 'bench/floorBolt.ts')],
          {
            SLACK_SIGNING_SECRET: SECRET,
            PORT: String(floorPort),
            DATABASE_URL: bench.url,
            POOL_SIZE: String(POOL_SIZE),
          },
          async () => (await fetch(`http://127.0.0.1:${floorPort}/`)).status === 404,
        );
        const floorCount = async () =>
          Number((await bench.pool.query('SELECT count(*) AS n FROM bench_floor_requests')).rows[0]?.n);
        try {
          const rowsBefore = await floorCount();
          const r = await load(`http://127.0.0.1:${floorPort}`, slack.responseUrl('bench'));
          if (r.non2xx > 0) ctx.log(`ack: ${r.non2xx} non-2xx answers from the floor app`);
          floorP50.push(r.p50);
          floorP99.push(r.p99);
          floorRows.push((await floorCount()) - rowsBefore);
        } finally {
          await stopProcess(floor);
        }
        ctx.log(
          `ack run ${run + 1}: Bolt + one INSERT p50 ${floorP50.at(-1)} ms p99 ${floorP99.at(-1)} ms (${floorRows.at(-1)} rows)`,
        );
        ctx.log(
          `ack run ${run + 1}: dpbot p50 ${dpbotP50.at(-1)} ms p99 ${dpbotP99.at(-1)} ms (${audited.at(-1)} attempts audited); bare Bolt p50 ${bareP50.at(-1)} ms p99 ${bareP99.at(-1)} ms`,
        );
      }
    } finally {
      await kube.stop();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
      await bench.drop();
    }
    return {
      title: 'Acknowledgement latency',
      description: `${REQUESTS.toLocaleString('en')} signed \`/dp scale\` requests per run at concurrency ${CONNECTIONS} (autocannon) into \`dpbot start\` on real PostgreSQL with the Kubernetes simulator (each request is verified, checked for replay, parsed, authorized and audited before the acknowledgement; the scale itself runs after it), against a bare Bolt app that only verifies and acknowledges, and against the floor: a Bolt app that verifies and commits one INSERT of the request into PostgreSQL (pool of ${POOL_SIZE}, as dpbot) before acknowledging.`,
      measurements: [
        {
          name: 'p50 acknowledgement',
          unit: 'ms',
          samples: dpbotP50,
          baseline: { name: 'bare Bolt p50', samples: bareP50 },
        },
        {
          name: 'p99 acknowledgement',
          unit: 'ms',
          samples: dpbotP99,
          baseline: { name: 'bare Bolt p99', samples: bareP99 },
        },
        {
          name: 'p50 acknowledgement, against the floor',
          unit: 'ms',
          samples: dpbotP50,
          baseline: { name: 'Bolt + one INSERT p50', samples: floorP50 },
          note: 'goal ≤ 2×: the floor verifies the signature and commits one INSERT of the request before acknowledging, the least an audited acknowledgement can do',
        },
        {
          name: 'p99 acknowledgement, against the floor',
          unit: 'ms',
          samples: dpbotP99,
          baseline: { name: 'Bolt + one INSERT p99', samples: floorP99 },
          note: 'goal ≤ 1.5×',
        },
        {
          name: 'attempt rows audited per run',
          unit: 'rows',
          samples: audited,
          note: `must be ${REQUESTS.toLocaleString('en')}`,
        },
      ],
    };
  },
};
