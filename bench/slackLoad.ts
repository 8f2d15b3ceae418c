import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import autocannon from 'autocannon';

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
): Promise<{ child: ChildProcess; readyMs: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
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
  responseUrl: string;
  requests: number;
  connections: number;
  text: (n: number) => string;
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
            channel_id: 'C0OPS',
            user_id: 'U0ADA00001',
            command: '/dp',
            text: input.text(n),
            response_url: input.responseUrl,
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

/** CPU time a process has used so far (user + system, Linux), in milliseconds. */
export function cpuMs(pid: number | undefined): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / 100;
}
