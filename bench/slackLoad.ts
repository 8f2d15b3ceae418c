import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { stringify } from 'yaml';
import { KubernetesSimulator } from '../sandbox/kubernetes/kubernetesSimulator.ts';
import { SlackSimulator } from '../sandbox/slack/slackSimulator.ts';

/**
 * Node flags dpbot runs with, as `npm start` and the container image give them: a young generation
 * of at most 2 × 32 MiB instead of what Node sizes for a large machine (up to 128 MiB), and
 * `gc` for dpbot's memory compaction (core/memoryCompaction.ts), which keeps compiled code.
 */
export const DPBOT_NODE_FLAGS = ['--max-semi-space-size=32', '--expose-gc', '--no-flush-bytecode'];

/** The environment deploy/Dockerfile sets that changes how Node runs dpbot. */
export const IMAGE_ENV = { NODE_ENV: 'production', NODE_DISABLE_COMPILE_CACHE: '1' } as const;

/** What the benchmarks sign their Slack requests with (the processes under test are given it). */
export const BENCH_SIGNING_SECRET = 'bench-signing-secret-0123456789abcdef';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts a process and resolves once `ready()` answers true, with how long that took; the process
 * is killed on failure.
 */
export async function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: () => Promise<boolean>,
  pollMs = 200,
  /** CPUs the process may run on (taskset's list), e.g. from bench/cpuPinning.ts. */
  cpus?: string,
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const [command, argv] = cpus
    ? ['taskset', ['-c', cpus, process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(command, argv, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const until = started + 120_000;
  while (performance.now() < until) {
    if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${child.exitCode}`);
    if (await ready().catch(() => false)) return { child, readyMs: performance.now() - started };
    await new Promise((r) => setTimeout(r, pollMs));
  }
  child.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not become ready`);
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/** Resident memory of a process (Linux), in MiB. */
export function residentMiB(pid: number | undefined): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
  return kb / 1024;
}

export interface LoadResult {
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  /** `performance.now()` when request n (1-based) was signed and sent. */
  sentAt: Map<number, number>;
}

/**
 * `requests` slash commands at `connections` concurrency into `<url>/slack/events`, each signed as
 * Slack signs them (a unique trigger_id keeps the signatures unique). `text(n)` is the command
 * text of request n.
 */
export async function slashLoad(input: {
  url: string;
  /** Request n's response_url: each request has its own, as in Slack (it takes 5 replies). */
  responseUrl: (n: number) => string;
  requests: number;
  connections: number;
  text: (n: number) => string;
  /** The channel request n is typed in (default C0OPS00001): where its reply and announcement go. */
  channel?: (n: number) => string;
}): Promise<LoadResult> {
  let n = 0;
  const sentAt = new Map<number, number>();
  const result = await autocannon({
    url: `${input.url}/slack/events`,
    connections: Math.min(input.connections, input.requests),
    amount: input.requests,
    method: 'POST',
    requests: [
      {
        setupRequest: (req) => {
          n++;
          const body = new URLSearchParams({
            team_id: 'T0SANDBOX',
            channel_id: input.channel?.(n) ?? 'C0OPS00001',
            user_id: 'U0ADA00001',
            command: '/dp',
            text: input.text(n),
            response_url: input.responseUrl(n),
            trigger_id: randomUUID(),
          }).toString();
          const ts = String(Math.floor(Date.now() / 1000));
          const signature = `v0=${createHmac('sha256', BENCH_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
          sentAt.set(n, performance.now());
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
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    non2xx: result.non2xx,
    sentAt,
  };
}

/** One signed `/dp <text>` and the time until its acknowledgement (the HTTP answer), in ms. */
export async function slashOnce(input: { url: string; text: string; responseUrl: string }): Promise<number> {
  const body = new URLSearchParams({
    team_id: 'T0SANDBOX',
    channel_id: 'C0OPS00001',
    user_id: 'U0ADA00001',
    command: '/dp',
    text: input.text,
    response_url: input.responseUrl,
    trigger_id: randomUUID(),
  }).toString();
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', BENCH_SIGNING_SECRET).update(`v0:${ts}:${body}`).digest('hex')}`;
  const t = performance.now();
  const response = await fetch(`${input.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': signature,
    },
    body,
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`/dp ${input.text} was answered ${response.status}`);
  return performance.now() - t;
}

/** CPU time a process has used so far (user + system, Linux), in milliseconds. */
export function cpuMs(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}

export interface BenchSetup {
  kube: KubernetesSimulator;
  slack: SlackSimulator;
  /** The configuration folder (dpbot.yaml, kubeconfig, directory file, policies). */
  dir: string;
  /** Its dpbot.yaml. */
  config: string;
  /** Stops the simulators and removes the folder. */
  remove(): Promise<void>;
}

/**
 * What dpbot is benchmarked against: the Kubernetes simulator with `teams` (one Deployment of 8
 * workers each), the Slack simulator knowing Ada (U0ADA00001) and #ops, and a configuration
 * folder in which Ada, in `file:oncall`, may scale the teams `granted`. `extra` is merged into
 * dpbot.yaml.
 */
export async function benchSetup(options: {
  teams: readonly string[];
  granted: readonly string[];
  extra?: Record<string, unknown>;
  kubernetes?: Record<string, unknown>;
}): Promise<BenchSetup> {
  const kube = new KubernetesSimulator();
  for (const team of options.teams)
    kube.addWorkload({
      kind: 'Deployment',
      namespace: team,
      name: 'ingest-workers',
      replicas: 8,
      capacity: 30,
    });
  const slack = new SlackSimulator().addUser({ id: 'U0ADA00001', name: 'ada', email: 'ada@example.com' });
  slack.addChannel({ id: 'C0OPS00001', name: 'ops', botMember: true });
  await kube.start();
  await slack.start();
  const dir = mkdtempSync(join(tmpdir(), 'dpbot-bench-'));
  // As root, the embedded PostgreSQL runs as "postgres" and must reach its data folder.
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
    grants: [
      {
        group: 'file:oncall',
        actions: ['workers.scale'],
        resources: options.granted.map((t) => `team:${t}`),
      },
    ],
  });
  const config = write('dpbot.yaml', {
    log: { level: 'warn' },
    directory: { sources: [{ name: 'file', type: 'file', path: 'directory.yaml' }] },
    slack: { apiUrl: slack.apiUrl },
    kubernetes: { kubeconfig: 'kubeconfig.yaml', ...options.kubernetes },
    teams: options.teams.map((name) => ({
      name,
      maxReplicas: 20,
      targets: [
        {
          name: 'workers',
          cluster: 'sandbox',
          namespace: name,
          kind: 'Deployment',
          object: 'ingest-workers',
        },
      ],
    })),
    ...options.extra,
  });
  return {
    kube,
    slack,
    dir,
    config,
    remove: async () => {
      await kube.stop();
      await slack.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
