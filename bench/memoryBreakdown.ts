import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../core/paths.ts';
import { SANDBOX_BOT_TOKEN } from '../sandbox/slack/slackSimulator.ts';
import { compiledEntry } from './memoryFloor.ts';
import {
  BENCH_SIGNING_SECRET,
  benchSetup,
  DPBOT_NODE_FLAGS,
  freePort,
  IMAGE_ENV,
  residentMiB,
  stopProcess,
} from './slackLoad.ts';
import { benchDatabase } from './support.ts';

/**
 * `node bench/memoryBreakdown.ts`: what idle dpbot's resident memory is made of, against the
 * floor of bench/start.bench.ts. Each line is a separate Node process with dpbot's flags, read
 * 2 s after a collection, as the start benchmark reads its figures:
 *   1. the floor's libraries, then each further library dpbot imports added to them on its own;
 *   2. the floor's libraries with dpbot's whole compiled module graph (`dist/app/cli/index.js`)
 *      imported and nothing started;
 *   3. `dpbot start` compiled, as the image runs it, on the start benchmark's configuration (Slack,
 *      10 teams on the Kubernetes simulator, a directory file), idle 2 s after /readyz.
 * For each: resident set split into the V8 heap (committed), the rest of the anonymous memory
 * (the C allocator, thread stacks, pooled heap pages), the node binary's pages and everything else,
 * and the heap's spaces. Libraries' costs do not add up: what one leaves behind in a grown heap
 * another may reuse. Uses DATABASE_URL for (3).
 */
const SETTLE_MS = 2000;
/** V8 shrinks an idle heap about 8 s after its last full collection: read again after that. */
const LATER_S = 15;
const FLOOR = ['@kubernetes/client-node', '@slack/bolt', 'pg', 'pg-boss'];
const FURTHER: readonly (readonly string[])[] = [
  ['drizzle-orm', 'drizzle-orm/pg-core', 'drizzle-orm/node-postgres'],
  ['zod'],
  ['yaml'],
  ['pino'],
  ['prom-client'],
  ['slack-block-builder'],
  ['@opentelemetry/api'],
  [
    '@octokit/rest',
    '@octokit/plugin-retry',
    '@octokit/plugin-throttling',
    '@octokit/plugin-paginate-graphql',
  ],
  ['jira.js'],
  ['commander', 'croner', 'csv-parse', 'csv-stringify', 'lru-cache', 'rate-limiter-flexible', 'bottleneck'],
];

/**
 * Loaded with `--import` into the measured process: on SIGUSR2 it collects once and writes what
 * it sees to the file named by DPBOT_MEMORY_REPORT (nothing else; the process is otherwise as run).
 */
const REPORTER = `
import { readFileSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
process.on('SIGUSR2', () => {
  const before = Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  gc();
  setTimeout(() => {
    const maps = {};
    let name = '';
    for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \\S+ \\S+ \\S+ \\S+\\s*(.*)$/.exec(line);
      if (head) name = head[1].includes('/bin/node') ? 'node binary' : head[1] === '' ? 'anonymous' : head[1].startsWith('[heap]') ? 'anonymous' : 'other';
      else if (line.startsWith('Rss:')) maps[name] = (maps[name] ?? 0) + Number(line.split(/\\s+/)[1]) / 1024;
    }
    const heap = v8.getHeapStatistics();
    const spaces = Object.fromEntries(v8.getHeapSpaceStatistics().filter((s) => s.physical_space_size > 0).map((s) => [s.space_name, [s.physical_space_size / 1048576, s.space_used_size / 1048576]]));
    const threads = Number(/^Threads:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
    const rss = Number(/^VmRSS:\\s+(\\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
    const usage = process.memoryUsage();
    writeFileSync(process.env.DPBOT_MEMORY_REPORT, JSON.stringify({ before, rss, maps, heapCommitted: heap.total_physical_size / 1048576, heapUsed: heap.used_heap_size / 1048576, external: usage.external / 1048576, malloced: heap.malloced_memory / 1048576, spaces, threads }));
  }, 100);
});
`;

interface Report {
  /** Before the collection the report makes: what the start benchmark reads. */
  before: number;
  rss: number;
  maps: Record<string, number>;
  heapCommitted: number;
  heapUsed: number;
  external: number;
  malloced: number;
  spaces: Record<string, [number, number]>;
  threads: number;
}

function summary(label: string, r: Report): string {
  const f = (n: number | undefined) => (n ?? 0).toFixed(1);
  const anonymous = r.maps.anonymous ?? 0;
  const spaces = Object.entries(r.spaces)
    .filter(([, [size]]) => size >= 0.5)
    .map(([name, [size, used]]) => `${name.replace('_space', '')} ${f(size)}/${f(used)}`)
    .join(', ');
  return `${label.padEnd(58)} RSS ${f(r.before)}, collected ${f(r.rss)}: heap ${f(r.heapCommitted)} (used ${f(r.heapUsed)}), other anonymous ${f(anonymous - r.heapCommitted)}, node binary ${f(r.maps['node binary'])}, other ${f(r.maps.other)}; external ${f(r.external)}; ${r.threads} threads; spaces (committed/used MiB): ${spaces}`;
}

/** Asks the process for a report (SIGUSR2) and reads it. */
async function report(child: ChildProcess, file: string): Promise<Report> {
  rmSync(file, { force: true });
  child.kill('SIGUSR2');
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as Report;
    } catch {
      // Not written yet.
    }
  }
  throw new Error('no memory report');
}

/**
 * Spawns `args` with the reporter, waits until `ready`, and reads a report `SETTLE_MS` later; then,
 * with `later`, the resident set every second up to `later` seconds and a second report.
 */
async function measured(
  args: string[],
  env: Record<string, string>,
  ready: (child: ChildProcess) => Promise<void>,
  later?: number,
): Promise<{ first: Report; timeline: string; last?: Report }> {
  const file = join(tmpdir(), `dpbot-memory-${process.pid}-${randomUUID()}.json`);
  const child = spawn(
    process.execPath,
    [...DPBOT_NODE_FLAGS, '--import', `data:text/javascript,${encodeURIComponent(REPORTER)}`, ...args],
    {
      cwd: projectRoot(),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DPBOT_MEMORY_REPORT: file, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  try {
    await ready(child);
    const timeline: string[] = [];
    for (let s = 1; s <= SETTLE_MS / 1000; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      timeline.push(`${s} s ${residentMiB(child.pid).toFixed(0)}`);
    }
    const first = await report(child, file);
    if (!later) return { first, timeline: '' };
    for (let s = SETTLE_MS / 1000 + 1; s <= later; s++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      timeline.push(`${s} s ${residentMiB(child.pid).toFixed(0)}`);
    }
    return { first, timeline: timeline.join(', '), last: await report(child, file) };
  } finally {
    await stopProcess(child);
    rmSync(file, { force: true });
  }
}

async function importedOnly(specifiers: readonly string[]): Promise<Report> {
  const code = [
    `for (const s of ${JSON.stringify(specifiers)}) await import(s);`,
    "process.stdout.write('loaded\\n');",
    'setInterval(() => {}, 60_000);',
  ].join('\n');
  const { first } = await measured(['--input-type=module', '-e', code], {}, async (child) => {
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('loaded')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`importing ${specifiers.join(', ')} exited with ${code}`)),
      );
    });
  });
  return first;
}

async function importsOnly(out: (line: string) => void): Promise<void> {
  out(summary('Node alone', await importedOnly([])));
  out(summary('the floor', await importedOnly(FLOOR)));
  for (const extra of FURTHER)
    out(summary(`the floor + ${extra[0]}`, await importedOnly([...FLOOR, ...extra])));
  const graph = join(projectRoot(), 'dist/app/cli/index.js');
  out(summary("the floor + dpbot's module graph, not started", await importedOnly([...FLOOR, graph])));
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (!adminUrl)
    throw new Error('set DATABASE_URL to a PostgreSQL server the script may create a database on');
  const entry = compiledEntry();
  const out = (line: string) => process.stdout.write(`${line}\n`);

  // `node bench/memoryBreakdown.ts start`: only dpbot start, for comparing a change.
  const startOnly = process.argv[2] === 'start';
  if (!startOnly) await importsOnly(out);
  const setup = await benchSetup({
    teams: Array.from({ length: 10 }, (_, i) => `team-${i}`),
    granted: ['team-0'],
  });
  const bench = await benchDatabase(adminUrl);
  try {
    const port = await freePort();
    const started = await measured(
      [entry, 'start', '--config', setup.config],
      {
        ...IMAGE_ENV,
        DATABASE_URL: bench.url,
        SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN,
        SLACK_SIGNING_SECRET: BENCH_SIGNING_SECRET,
        PORT: String(port),
        LOG_LEVEL: 'warn',
      },
      async () => {
        const until = Date.now() + 60_000;
        while (Date.now() < until) {
          const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
            (r) => r.ok,
            () => false,
          );
          if (ok) return;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        throw new Error('dpbot start was not ready within 60 s');
      },
      LATER_S,
    );
    out(summary(`dpbot start, idle ${SETTLE_MS / 1000} s after ready (image form)`, started.first));
    if (started.last) out(summary(`dpbot start, idle ${LATER_S} s after ready`, started.last));
    out(`dpbot start's resident set (MiB) by seconds after ready: ${started.timeline}`);
  } finally {
    await bench.drop();
    await setup.remove();
  }
}

await main();
