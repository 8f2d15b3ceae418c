import { execFileSync } from 'node:child_process';

/**
 * Gives the process under test a core of its own: the benchmark (load generator, OTLP receiver)
 * keeps the others. On 2 shared cores the load generator's own work landed in dpbot's latency as
 * stalls of tens of milliseconds on every side alike, which buried what tracing adds; and on a
 * core of its own, what the process's own helper threads (V8's concurrent marking) take from its
 * event loop shows, as it does in a pod given one core. PostgreSQL is the machine's and stays
 * unpinned. Linux with util-linux's taskset and at least 2 CPUs; otherwise undefined.
 */
export function pinCpus(): { child: string; restore(): void } | undefined {
  if (process.platform !== 'linux') return undefined;
  let list: string;
  try {
    // "pid 123's current affinity list: 0,1" (ranges as 0-3).
    list =
      execFileSync('taskset', ['-cp', String(process.pid)], { encoding: 'utf8' })
        .split(':')
        .pop()
        ?.trim() ?? '';
  } catch {
    return undefined;
  }
  const cpus = list.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return from === undefined || to === undefined
      ? []
      : Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
  const child = cpus.at(-1);
  if (cpus.length < 2 || child === undefined) return undefined;
  const set = (cpuList: string) => execFileSync('taskset', ['-a', '-cp', cpuList, String(process.pid)]);
  set(cpus.slice(0, -1).join(','));
  return { child: String(child), restore: () => set(list) };
}
